"""The layer contracts of pyproject.toml ([tool.importlinter]) hold, and cover every package.

import-linter checks only the root packages it is given, so a new top-level package would sit
outside every contract unnoticed: the second test makes adding it to `root_packages` a must.
"""

import subprocess
import sys
from pathlib import Path

from importlinter import api

ROOT = Path(__file__).resolve().parents[2]
# Test code imports every layer on purpose; it is not part of the layered product.
NOT_PRODUCT = {"tests"}


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_every_top_level_package_is_under_the_contracts():
    roots = set(
        api.read_configuration(str(ROOT / "pyproject.toml"))["session_options"]["root_packages"]
    )
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_PRODUCT
    assert packages - roots == set()


def test_a_stale_ignore_fails_the_run():
    """Every contract makes an ignore that no longer matches an import fail the run, so an
    exception is deleted with the import it excused."""
    contracts = api.read_configuration(str(ROOT / "pyproject.toml"))["contracts_options"]
    assert contracts
    assert {c["id"]: c.get("unmatched_ignore_imports_alerting") for c in contracts} == {
        c["id"]: "error" for c in contracts
    }


def test_celery_task_names_survive_module_moves():
    """Task names are stored outside the code (broker messages, beat rows, routes): moving a
    module must never change one."""
    from dirmgr.celery import app

    app.loader.import_default_modules()
    assert sorted(name for name in app.tasks if not name.startswith("celery.")) == [
        "dirmgr.health.record_heartbeat",
        "dirmgr.secret_expiry.warn_secret_expiry",
        "dirmgr.sessions.clear_expired_sessions",
        "entrasync.sync_all",
        "entrasync.sync_store",
        "ldapsync.sync_all",
        "ldapsync.sync_store",
        "lifecycle.run_scheduled_job",
        "notifications.deliver",
        "notifications.sweep_outbox",
    ]
