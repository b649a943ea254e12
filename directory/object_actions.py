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


ACTIONS: dict[str, Action] = {
    "attributes": Action(tuple(Kind), lambda obj, data: attributes_form(obj, data), _attributes),
    "add_member": Action(
        (Kind.GROUP,),
        lambda obj, data: MemberForm(data, store_id=obj.store_id, prefix="member"),
        lambda obj, form, actor: changes.add_member(obj, form.cleaned_data["reference"], actor),
    ),
    "set_owner": Action(
        (Kind.GROUP,),
        lambda obj, data: PrimaryOwnerForm(
            data,
            store_id=obj.store_id,
            prefix="powner",
            initial={"reference": reference_for(obj.primary_owner)},
        ),
        lambda obj, form, actor: changes.set_primary_owner(
            obj, form.cleaned_data["reference"], actor
        ),
    ),
    "add_owner": Action(
        (Kind.GROUP,),
        lambda obj, data: OwnerForm(data, store_id=obj.store_id, prefix="owner"),
        lambda obj, form, actor: changes.add_additional_owner(
            obj, form.cleaned_data["reference"], actor, dont_notify=form.cleaned_data["dont_notify"]
        ),
    ),
    "set_manager": Action(
        (Kind.USER,),
        lambda obj, data: PrimaryManagerForm(
            data,
            store_id=obj.store_id,
            prefix="pmanager",
            initial={"reference": reference_for(obj.primary_manager)},
        ),
        lambda obj, form, actor: changes.set_primary_manager(
            obj, form.cleaned_data["reference"], actor
        ),
    ),
    "add_manager": Action(
        (Kind.USER,),
        lambda obj, data: ManagerForm(data, store_id=obj.store_id, prefix="manager"),
        lambda obj, form, actor: changes.add_additional_manager(
            obj, form.cleaned_data["reference"], actor
        ),
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
