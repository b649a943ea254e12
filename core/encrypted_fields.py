"""Finding every encrypted column, so key rotation cannot miss one added later."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.db import models

from .fields import EncryptedTextField


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    for model in apps.get_models():
        names = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names
