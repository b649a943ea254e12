"""Finding one directory object from what a person types: "#42", an address, an external id or
a name. Shared by the import, the management commands and the Admin Center forms."""

from __future__ import annotations

from .models import DirectoryObject


class AmbiguousReference(Exception):
    """Several objects match a name; the caller should ask for the address or the id."""


def find_object(store_id: int, reference: str, kinds: tuple[str, ...] = ()) -> DirectoryObject:
    """The object of the store that `reference` names: "#42" (id), an email address, an external
    id, or an exact name (all but the id compared case-insensitively).

    Raises DirectoryObject.DoesNotExist or AmbiguousReference."""
    reference = reference.strip()
    objects = DirectoryObject.objects.filter(store_id=store_id)
    if kinds:
        objects = objects.filter(kind__in=kinds)
    if reference.startswith("#") and reference[1:].isdigit():
        return objects.get(pk=int(reference[1:]))
    for lookup in ("email__iexact", "external_id", "name__iexact"):
        found = list(objects.filter(**{lookup: reference})[:2]) if reference else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousReference(
                f"Several objects match “{reference}”; use the email address or #id."
            )
    raise DirectoryObject.DoesNotExist(f"No object matches “{reference}”.")


def reference_for(obj: DirectoryObject | None) -> str:
    """What a reference box shows for `obj`: its email address or name, as a person would type
    it, when that finds exactly this object again; the "#id" only when neither does (two objects
    share the name and it has no address). Saving the box unchanged keeps the same object."""
    if obj is None:
        return ""
    for text in (obj.email, obj.name):
        if text and _finds(obj, text):
            return text
    return f"#{obj.pk}"


def _finds(obj: DirectoryObject, text: str) -> bool:
    try:
        return find_object(obj.store_id, text).pk == obj.pk
    except (DirectoryObject.DoesNotExist, AmbiguousReference):
        return False
