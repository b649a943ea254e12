"""The Remove buttons of an object page: which change each makes, and the question asked
before it (in the dialog and on the confirmation page, so both read the same)."""

from __future__ import annotations

from collections.abc import Callable

from . import changes
from .models import DirectoryObject

REMOVALS: dict[str, Callable] = {
    "remove_member": changes.remove_member,
    "remove_owner": changes.remove_additional_owner,
    "remove_manager": changes.remove_additional_manager,
}
_QUESTIONS = {
    "remove_member": "Remove {target} from {obj}?",
    "remove_owner": "Remove {target} as an additional owner of {obj}?",
    "remove_manager": "Remove {target} as an additional manager of {obj}?",
}


def question(action: str, target: DirectoryObject, obj: DirectoryObject) -> str:
    return _QUESTIONS[action].format(target=target.name, obj=obj.name)
