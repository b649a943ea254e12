"""EncryptedTextField: a text column holding a Fernet token; Python code sees the plaintext.

Decrypted values are `crypto.Secret`s, masked in any repr. Empty string means "not set" and is
stored as-is (nothing to hide). The plaintext is never put into forms by this field: model forms
exclude it and pages show only whether it is set.
"""

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest with the configured Fernet keys"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return crypto.Secret(crypto.decrypt(value))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return crypto.encrypt(value)
