"""The "Who would be notified?" form: an object, an event, and the other object some events need.

Objects are named as everywhere in the Admin Center ("#id", an email address or an exact name),
so the form works for a directory of any size. Each event says which kinds it applies to and
what the second object is; a mismatch is explained next to the field.
"""

from __future__ import annotations

from django import forms

from directory.lookup import AmbiguousReference, find_object
from directory.models import DirectoryObject, EventKind

from .explain_preview import NOTICES

Kind = DirectoryObject.Kind
USER, GROUP, CONTACT = Kind.USER, Kind.GROUP, Kind.CONTACT
ANY = (USER, CONTACT, GROUP)

# event: (kinds of the object, label of the other object or "", kinds of the other object)
EVENTS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    EventKind.CREATED: (ANY, "", ()),
    EventKind.UPDATED: (ANY, "", ()),
    EventKind.MEMBER_ADDED: ((GROUP,), "Member added", ANY),
    EventKind.MEMBER_REMOVED: ((GROUP,), "Member removed", ANY),
    EventKind.OWNER_SET: ((GROUP,), "New primary owner", (USER, GROUP)),
    EventKind.OWNER_ADDED: ((GROUP,), "Additional owner added", (USER, GROUP)),
    EventKind.OWNER_REMOVED: ((GROUP,), "Additional owner removed", (USER, GROUP)),
    EventKind.MANAGER_SET: ((USER,), "New primary manager", (USER,)),
    EventKind.MANAGER_ADDED: ((USER,), "Additional manager added", (USER,)),
    EventKind.MANAGER_REMOVED: ((USER,), "Additional manager removed", (USER,)),
    "ml_join": ((USER,), "", ()),
    "ml_leave": ((USER,), "", ()),
    "ml_before": ((USER,), "", ()),
    "mb_added": ((USER, GROUP), "Group or user it is added to", (USER, GROUP)),
    "mb_removed": ((USER, GROUP), "Group or user it is removed from", (USER, GROUP)),
    "mb_before": ((USER, GROUP), "", ()),
    "password": ((USER,), "", ()),
}
CHOICES = [
    ("Directory changes", [(k.value, k.label) for k in EventKind]),
    ("Life-cycle notices", list(NOTICES.items())),
]
KIND_WORDS = {USER: "a user", CONTACT: "a contact", GROUP: "a group"}


class ExplainForm(forms.Form):
    object = forms.CharField(label="Object (name, email address or #id)", max_length=256)
    event = forms.ChoiceField(label="Event", choices=CHOICES)
    other = forms.CharField(
        label="Member, owner or manager (name, email address or #id)",
        max_length=256,
        required=False,
        help_text="For membership, owner and manager events, and Managed By notices.",
    )

    def __init__(self, *args, store_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store_id = store_id

    def clean_object(self) -> DirectoryObject:
        return self._find(self.cleaned_data["object"])

    def clean_other(self) -> DirectoryObject | None:
        reference = self.cleaned_data["other"].strip()
        return self._find(reference) if reference else None

    def clean(self) -> dict:
        data = super().clean()
        obj, event, other = data.get("object"), data.get("event"), data.get("other")
        if obj is None or event is None or "other" in self.errors:
            return data
        kinds, other_label, other_kinds = EVENTS[event]
        if not other_label:
            data["other"] = other = None
        if obj.kind not in kinds:
            self.add_error("object", f"{obj.name} is {KIND_WORDS[obj.kind]}: {_fits(kinds)}.")
        elif other_label and other is None:
            self.add_error("other", f"Name the {other_label.lower()}.")
        elif other is not None and other_label and other.kind not in other_kinds:
            self.add_error(
                "other", f"{other.name} is {KIND_WORDS[other.kind]}: {_fits(other_kinds)}."
            )
        elif other is not None and other.pk == obj.pk:
            self.add_error("other", "Name an object other than the object itself.")
        return data

    def _find(self, reference: str) -> DirectoryObject:
        try:
            return find_object(self.store_id, reference)
        except AmbiguousReference as exc:
            raise forms.ValidationError(str(exc)) from exc
        except DirectoryObject.DoesNotExist as exc:
            raise forms.ValidationError("No object of this store matches that.") from exc


def _fits(kinds: tuple[str, ...]) -> str:
    return "this event needs " + " or ".join(KIND_WORDS[k] for k in kinds)
