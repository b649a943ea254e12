"""Secrets at rest: encrypted with the first key, readable with any, rotated by a command."""

import pytest
from django.core.management import call_command
from django.db import connection

from core import crypto
from notifications.models import NotificationSettings

OLD, NEW = crypto.generate_key(), crypto.generate_key()


def raw_password() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM notifications_notificationsettings")
        return cursor.fetchone()[0]


@pytest.fixture
def stored(settings, contoso):
    settings.ENCRYPTION_KEYS = [OLD]
    NotificationSettings.objects.create(store=contoso, smtp_password="hunter2-secret")
    return contoso


def test_it_reads_old_secrets_after_a_new_key_is_added(settings, stored):
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    assert NotificationSettings.objects.get(store=stored).smtp_password == "hunter2-secret"


def test_it_re_encrypts_with_the_newest_key(settings, stored, capsys):
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 1 secret(s)." in capsys.readouterr().out
    settings.ENCRYPTION_KEYS = [NEW]
    assert NotificationSettings.objects.get(store=stored).smtp_password == "hunter2-secret"
    assert "hunter2" not in raw_password()


def test_it_refuses_to_guess_when_no_key_fits(settings, stored):
    settings.ENCRYPTION_KEYS = [NEW]
    with pytest.raises(crypto.DecryptionError):
        NotificationSettings.objects.get(store=stored)
