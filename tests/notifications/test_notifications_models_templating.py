"""The notifications models package and the templating layer under it.

Templating is the lowest layer of notifications (the EmailTemplate model, the composer and the
life-cycle notices all render with it), so it must import nothing from the rest of the app; and
Django must find every notifications model through `notifications.models` alone.
"""

import grimp
from django.apps import apps

import notifications.models


def test_templating_imports_nothing_else_from_notifications():
    graph = grimp.build_graph("notifications", "directory")
    templating = graph.find_descendants("notifications.templating") | {"notifications.templating"}
    imported = {
        name
        for module in templating
        for name in graph.find_modules_directly_imported_by(module)
        if name.startswith("notifications")
    }
    assert imported - templating == set()
    assert graph.find_modules_directly_imported_by("notifications.templating.sample") == {
        "directory.models"
    }


def test_models_package_exports_every_registered_model():
    registered = {model.__name__ for model in apps.get_app_config("notifications").get_models()}
    assert registered == {
        "NotificationSettings",
        "OutgoingMessage",
        "ActingTrust",
        "EmailTemplate",
        "SendLane",
    }
    assert all(hasattr(notifications.models, name) for name in registered)
