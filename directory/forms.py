"""Forms of the directory pages. They only validate input; changes go through
`directory.changes`."""

from __future__ import annotations

import copy

from django import forms

from .changes import EDITABLE
from .lookup import AmbiguousReference, find_object
from .models import DirectoryObject

Kind = DirectoryObject.Kind
DATE_TIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "All types"), *Kind.choices]
    )


class NewObjectForm(forms.ModelForm):
    """A new user, group or contact. A name already used by another object of the same kind in
    the store is refused: references by exact name would become ambiguous."""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        new = self.instance
        taken = DirectoryObject.objects.filter(store_id=new.store_id, kind=new.kind)
        if taken.filter(name__iexact=name).exists():
            raise forms.ValidationError(f"A {new.kind} named {name} already exists in this store.")
        return name


def _object_form(
    kind: str, data, instance: DirectoryObject, prefix: str, base: type = forms.ModelForm
) -> forms.ModelForm:
    form_class = forms.modelform_factory(
        DirectoryObject,
        form=base,
        fields=EDITABLE[kind],
        widgets={"password_last_set": DATE_TIME, "password_expires": DATE_TIME},
    )
    form = form_class(data, instance=instance, prefix=prefix)
    if "security_type" in form.fields:
        form.fields["security_type"].required = True
    return form


def attributes_form(obj: DirectoryObject, data=None) -> forms.ModelForm:
    """An attributes form for the object's kind. It works on a copy: the change service compares
    the stored values with the new ones."""
    return _object_form(obj.kind, data, copy.copy(obj), "attr")


def create_form(store_id: int, kind: str, data=None) -> forms.ModelForm:
    """The attributes of a new object of `kind` in the store."""
    instance = DirectoryObject(store_id=store_id, kind=kind)
    return _object_form(kind, data, instance, "new", NewObjectForm)


class ReferenceForm(forms.Form):
    """Names another object of the store: "#id", an email address or an exact name."""

    KINDS: tuple[str, ...] = ()
    reference = forms.CharField(label="Name, email address or #id", max_length=256)

    def __init__(self, *args, store_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store_id = store_id

    def clean_reference(self) -> DirectoryObject:
        try:
            return find_object(self.store_id, self.cleaned_data["reference"], self.KINDS)
        except AmbiguousReference as exc:
            raise forms.ValidationError(str(exc)) from exc
        except DirectoryObject.DoesNotExist as exc:
            kinds = " or ".join(self.KINDS) if self.KINDS else "object"
            raise forms.ValidationError(f"No {kinds} of this store matches that.") from exc


class MemberForm(ReferenceForm):
    reference = forms.CharField(label="Member (name, email address or #id)", max_length=256)


class OwnerForm(ReferenceForm):
    KINDS = (Kind.USER, Kind.GROUP)
    reference = forms.CharField(label="Owner (user or group)", max_length=256)
    dont_notify = forms.BooleanField(label="Don't notify", required=False)


class PrimaryOwnerForm(ReferenceForm):
    KINDS = (Kind.USER, Kind.GROUP)
    reference = forms.CharField(
        label="Primary owner (user or group)",
        max_length=256,
        required=False,
        help_text="Leave empty to clear.",
    )

    def clean_reference(self) -> DirectoryObject | None:
        return super().clean_reference() if self.cleaned_data["reference"].strip() else None


class ManagerForm(ReferenceForm):
    KINDS = (Kind.USER,)
    reference = forms.CharField(label="Manager (user)", max_length=256)


class PrimaryManagerForm(ReferenceForm):
    KINDS = (Kind.USER,)
    reference = forms.CharField(
        label="Primary manager (user)",
        max_length=256,
        required=False,
        help_text="Leave empty to clear.",
    )

    def clean_reference(self) -> DirectoryObject | None:
        return super().clean_reference() if self.cleaned_data["reference"].strip() else None
