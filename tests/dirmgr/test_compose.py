"""docker-compose.yml, Dockerfile and .env.example say what the app really runs and reads.

No Docker engine runs here, so the files are checked against the code: services and their
health checks, volumes, that each command names a real module, Celery app, queue or management
command, and that every variable in .env.example is one settings.py reads (and vice versa).
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve

from dirmgr.health import health

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "beat", "catcher"}
# Variables in .env.example that only docker-compose.yml reads (the postgres image's settings).
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}
REQUIRED = {
    "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DIRMGR_ENCRYPTION_KEYS",
    "DIRMGR_HTTPS", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DIRMGR_CA_BUNDLE",
}  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def settings_reads() -> set[str]:
    """Names passed to env.<type>("NAME") or environ.Env().<type>("NAME") in settings.py."""

    def is_env(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id == "env"
        return isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Env"

    tree = ast.parse((ROOT / "dirmgr" / "settings.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and is_env(node.func.value)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def env_example() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value lines, names only shown commented out as "# NAME=default")."""
    active, commented = {}, set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        if m := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            active[m[1]] = m[2]
        elif m := re.fullmatch(r"# ([A-Z][A-Z0-9_]*)=.*", line):
            commented.add(m[1])
    return active, commented


def test_it_has_the_production_services(services):
    assert {"web", "worker", "beat", "redis", "postgres", "catcher", "migrate"} <= set(services)


def test_it_gives_every_long_running_service_a_health_check(services):
    for name, service in services.items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name


def test_it_keeps_data_in_declared_named_volumes(compose, services):
    declared = set(compose["volumes"])
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert used == declared
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])


def test_it_starts_app_services_after_a_healthy_database_broker_and_migrations(services):
    for name in APP_SERVICES:
        assert services[name]["env_file"] == ".env", name
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_it_serves_the_real_wsgi_application_with_gunicorn(services):
    command = argv(services["web"])
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert module == settings.WSGI_APPLICATION.rsplit(".", 1)[0]


def test_it_checks_web_health_on_the_real_health_endpoint(services):
    url = re.search(r"http://localhost:8000(/\S*?)'", healthcheck_text(services["web"]))[1]
    assert resolve(url).func is health


def test_it_runs_the_real_celery_app_on_every_queue_tasks_are_routed_to(services):
    worker = argv(services["worker"])
    assert worker[:4] == ["celery", "-A", "dirmgr", "worker"]
    assert isinstance(importlib.import_module("dirmgr").celery_app, Celery)
    queues = set(worker[worker.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values()}
    default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    assert {"mail", default} | routed <= queues
    assert "inspect ping" in healthcheck_text(services["worker"])
    assert argv(services["beat"])[:4] == ["celery", "-A", "dirmgr", "beat"]
    assert healthcheck_text(services["beat"]) == "CMD python -m dirmgr.health --heartbeat"
    assert callable(importlib.import_module("dirmgr.health").main)


def test_it_runs_real_management_commands(services):
    commands = get_commands()
    for name in ("migrate", "catcher"):
        command = argv(services[name])
        assert command[:2] == ["python", "manage.py"], name
        assert command[2] in commands, name
    catcher = argv(services["catcher"])
    assert catcher[2:] == ["run_mail_catcher", "--host", "0.0.0.0", "--port", "2525"]


def test_it_lists_only_variables_settings_really_reads(services):
    active, commented = env_example()
    unknown = (set(active) | commented) - settings_reads() - COMPOSE_ONLY
    assert unknown == set(), "in .env.example but not read by dirmgr/settings.py"


def test_it_lists_every_variable_settings_reads():
    active, commented = env_example()
    missing = settings_reads() - set(active) - commented
    assert missing == set(), "read by dirmgr/settings.py: add them to .env.example"
    assert set(active) >= REQUIRED
    assert active["DIRMGR_HTTPS"] == "true"


def test_it_passes_compose_only_variables_to_compose(services):
    text = (ROOT / "docker-compose.yml").read_text()
    for name in COMPOSE_ONLY:
        assert "${" + name in text, name


def test_it_points_the_example_urls_at_the_compose_services(services):
    active, _ = env_example()
    database = urlsplit(active["DATABASE_URL"])
    assert database.hostname == "postgres" and database.port == 5432
    assert database.password == active["POSTGRES_PASSWORD"]
    assert database.path == "/" + services["postgres"]["environment"]["POSTGRES_DB"]
    assert database.username == services["postgres"]["environment"]["POSTGRES_USER"]
    assert urlsplit(active["CELERY_BROKER_URL"]).hostname == "redis"
    assert urlsplit(active["CACHE_URL"]).hostname == "redis"
    assert active["CACHE_URL"] != active["CELERY_BROKER_URL"]


def test_it_builds_an_image_that_runs_the_same_application():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[1]
    assert ast.literal_eval(cmd)[:2] == ["gunicorn", "dirmgr.wsgi:application"]
    env_names = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", dockerfile, re.MULTILINE))
    app_names = env_names - {
        "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK", "DJANGO_SETTINGS_MODULE",
    }  # fmt: skip
    assert app_names and app_names <= settings_reads()
    assert "collectstatic" in dockerfile and "USER dirmgr" in dockerfile
