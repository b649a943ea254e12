"""The forms of a directory object's page and the change each one makes.

Each action names the kinds of object that show its form, how the form is built for an object,
and which `directory.changes` service it calls, so the page's view handles every form the same
way and a new form is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import changes
from .changes import Actor, ChangeError
from .forms import (
    ManagerForm,
    MemberForm,
    OwnerForm,
    PrimaryManagerForm,
    PrimaryOwnerForm,
    attributes_form,
)
from .lookup import reference_for
from .models import DirectoryObject

Kind = DirectoryObject.Kind


@dataclass(frozen=True)
class Action:
    """One form on the object page: which kinds show it and the change it makes."""

    kinds: tuple[str, ...]
    form: Callable
    apply: Callable


def _attributes(obj, form, actor):
    return changes.update_attributes(obj, actor, **form.cleaned_data)


def _reference_action(kind: str, form_class, prefix: str, change: Callable, shown: str = ""):
    """A form that names one object (`reference`) and hands it to `change`; `shown` is the
    object's field whose current value the form starts with (a primary owner or manager)."""

    def form(obj, data):
        initial = {"reference": reference_for(getattr(obj, shown))} if shown else None
        return form_class(data, store_id=obj.store_id, prefix=prefix, initial=initial)

    return Action(
        (kind,), form, lambda obj, form, actor: change(obj, form.cleaned_data["reference"], actor)
    )


def _add_owner(obj, form, actor):
    reference, dont_notify = form.cleaned_data["reference"], form.cleaned_data["dont_notify"]
    return changes.add_additional_owner(obj, reference, actor, dont_notify=dont_notify)


ACTIONS: dict[str, Action] = {
    "attributes": Action(tuple(Kind), lambda obj, data: attributes_form(obj, data), _attributes),
    "add_member": _reference_action(Kind.GROUP, MemberForm, "member", changes.add_member),
    "set_owner": _reference_action(
        Kind.GROUP, PrimaryOwnerForm, "powner", changes.set_primary_owner, shown="primary_owner"
    ),
    "add_owner": Action(
        (Kind.GROUP,),
        lambda obj, data: OwnerForm(data, store_id=obj.store_id, prefix="owner"),
        _add_owner,
    ),
    "set_manager": _reference_action(
        Kind.USER,
        PrimaryManagerForm,
        "pmanager",
        changes.set_primary_manager,
        shown="primary_manager",
    ),
    "add_manager": _reference_action(
        Kind.USER, ManagerForm, "manager", changes.add_additional_manager
    ),
}


def apply_action(action: Action, obj: DirectoryObject, form, actor: Actor) -> bool:
    """Make the form's change; a refused change becomes an error on the form, in the change
    service's words, on the field it names (else the reference box, else the whole form)."""
    try:
        action.apply(obj, form, actor)
    except ChangeError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field or ("reference" if "reference" in form.fields else None), exc.message)
        return False
    return True
