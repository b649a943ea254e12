"""The import structure the layers rely on, read from the source (function-level imports too).

Notifications' modules import each other without a loop, so each can be read (and moved) from
the bottom up; the mail catcher stands alone beside the identity stores it serves.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def module_files(package: str) -> dict[str, Path]:
    """Dotted module name → file, migrations left out (they only record history)."""
    files = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" not in parts:
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imported_names(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules every import anywhere in the file names, relative ones resolved; `from a import
    b` names a.b when that is one of `modules`, else a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            for alias in node.names:
                found.add(
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                )
    return found


def test_notifications_modules_import_each_other_without_a_loop():
    modules = module_files("notifications")
    graph = {
        name: imported_names(name, path, modules) & modules.keys() - {name}
        for name, path in modules.items()
    }

    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import loop in notifications: {' -> '.join(exc.args[1])}")

    assert order.index("notifications.tasks") < order.index("notifications.outbox")
    assert order.index("notifications.templates_store") < order.index("notifications.emails")


def test_the_catcher_imports_no_other_part_of_the_admin_center():
    outside = {"dirmgr", "directory", "notifications", "ldapsync", "lifecycle"}
    modules = module_files("catcher")
    used = {
        (name, imported.split(".")[0])
        for name, path in modules.items()
        for imported in imported_names(name, path, modules)
    }

    assert sorted((name, top) for name, top in used if top in outside) == []
    assert {top for _, top in used} >= {"django", "identitystores"}
