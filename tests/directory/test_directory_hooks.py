"""The directory announces each recorded change through its listener registry: notifications
listens without the directory importing it, a listener runs inside the change's transaction (so
one that raises undoes the change), a change made with `notify=False` announces nothing, and
`batch()` opens every listener's batch context around many changes."""

from contextlib import contextmanager

import pytest

from directory import changes, hooks
from directory.changes import Actor
from directory.models import DirectoryEvent, GroupMembership
from notifications import listeners, notify


@pytest.fixture
def heard(monkeypatch):
    """A listener that keeps what it is told, registered after the existing ones."""
    told: list[tuple[DirectoryEvent, Actor]] = []
    monkeypatch.setattr(hooks, "_listeners", list(hooks._listeners))
    hooks.register_listener(lambda event, actor: told.append((event, actor)))
    return told


def test_notifications_listens_to_directory_changes():
    assert listeners.on_change in hooks._listeners


def test_registering_a_listener_twice_calls_it_once(monkeypatch):
    monkeypatch.setattr(hooks, "_listeners", [])
    hooks.register_listener(listeners.on_change)
    hooks.register_listener(listeners.on_change)
    assert hooks._listeners == [listeners.on_change]


def test_a_listener_hears_every_recorded_change_with_its_actor(heard, make_object, alice):
    ann = make_object("user", "Ann", "ann@contoso.test")
    staff = make_object("group", "Staff", "", security_type="private")
    actor = Actor(alice)

    changes.update_attributes(ann, actor, name="Ann Smith")
    changes.add_member(staff, ann, actor)

    assert [(event.kind, event.object_name, who) for event, who in heard] == [
        ("updated", "Ann Smith", actor),
        ("member_added", "Staff", actor),
    ]
    assert [event.pk for event, _ in heard] == list(
        DirectoryEvent.objects.order_by("id").values_list("pk", flat=True)
    )


def test_a_listener_that_raises_undoes_the_change(monkeypatch, make_object, alice):
    ann = make_object("user", "Ann", "ann@contoso.test")
    staff = make_object("group", "Staff", "", security_type="private")

    def refuse(event, actor):
        raise RuntimeError("listener down")

    monkeypatch.setattr(hooks, "_listeners", [refuse])
    with pytest.raises(RuntimeError, match="listener down"):
        changes.add_member(staff, ann, Actor(alice))
    assert not GroupMembership.objects.exists()
    assert not DirectoryEvent.objects.exists()


def test_a_change_that_does_not_notify_is_not_announced(heard, make_object, alice):
    ann = make_object("user", "Ann", "ann@contoso.test")
    changes.update_attributes(ann, Actor(alice, notify=False), name="Ann Smith")
    assert heard == []
    assert DirectoryEvent.objects.get().object_name == "Ann Smith"


def test_notifications_registers_its_store_lookups_as_its_batch():
    assert notify.store_lookups_once in hooks._batches


def test_batch_enters_every_listener_context_in_order_and_leaves_them_on_error(monkeypatch):
    seen: list[str] = []

    def context(name: str):
        @contextmanager
        def opened():
            seen.append(f"enter {name}")
            try:
                yield
            finally:
                seen.append(f"exit {name}")

        return opened

    first, second = context("first"), context("second")
    monkeypatch.setattr(hooks, "_listeners", [])
    monkeypatch.setattr(hooks, "_batches", [])
    hooks.register_listener(listeners.on_change, batch=first)
    hooks.register_listener(lambda event, actor: None, batch=second)
    hooks.register_listener(listeners.on_change, batch=first)

    with pytest.raises(RuntimeError, match="sync failed"), hooks.batch():
        seen.append("body")
        raise RuntimeError("sync failed")
    assert seen == ["enter first", "enter second", "body", "exit second", "exit first"]
