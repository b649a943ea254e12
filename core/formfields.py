"""Choice fields that answer "not a valid choice" for ids no database column can hold.

Django's model choice fields pass the submitted id to the database as is; an id beyond 64 bits
makes SQLite raise OverflowError and PostgreSQL a DataError — a 500 for typing a long number.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def _in_range(value) -> bool:
    try:
        return 0 <= int(str(value)) <= MAX_ID
    except ValueError:
        return True  # not a number at all: Django's own check reports it


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not _in_range(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not _in_range(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(item)[:40]},
                )
        return super()._check_values(value)
