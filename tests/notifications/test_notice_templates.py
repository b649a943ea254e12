"""Every notice is editable: life-cycle notices, password-expiry warnings, the digest and the test
message take per-store, per-language overrides, checked and limited like change notifications,
listed on the Notifications page, previewed with sample data or a recent real notice."""

import html
import logging

import pytest

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryEvent
from lifecycle.jobs import PASSWORD_EXPIRY, run_job
from lifecycle.models import PasswordExpiryGroup
from notifications.models import EmailTemplate, OutgoingMessage
from notifications.notify import Notice, send_notice
from notifications.server_check import store_test_message
from tests.notifications.test_template_limits import HOSTILE, field_errors
from tests.support.lifecycle_helpers import at

NOW = at(2026, 3, 10, 7)
WARNING = {
    "kind": "password-warning",
    "language": "en",
    "subject": "Action needed: {{ recipient.name }}",
    "body_text": "{{ recipient.name }}, {{ days_left }} days left. {{ portal_url }}",
    "body_html": "",
}


def editor(store, kind=""):
    suffix = f"?kind={kind}" if kind else ""
    return f"/identity-stores/{store.pk}/email-templates/new/{suffix}"


@pytest.fixture
def expiring(contoso, contoso_mail, portal, make_object):
    """Contoso's password-expiry group with Ann expiring in two days, and the portal."""
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    contoso_mail.portal = portal
    contoso_mail.to_recipients = "desk@contoso.test"
    contoso_mail.save()
    smart = make_object("group", "Password expiry", security_type="private")
    PasswordExpiryGroup.objects.create(store=contoso, group=smart, days=5)
    make_object("user", "Ann", "ann@contoso.test", password_expires=at(2026, 3, 12, 9))
    return contoso


def warnings(store):
    return list(OutgoingMessage.objects.filter(store=store, kind="password-expiry").order_by("id"))


def test_the_notifications_page_lists_every_notice_with_edit(alice_client, contoso, contoso_mail):
    EmailTemplate.objects.create(
        store=contoso, kind="password-digest", language="de", subject="S", body_text="B"
    )
    page = alice_client.get(f"/identity-stores/{contoso.pk}/configurations/notifications/")
    text = html.unescape(page.content.decode().split('id="notices-section"')[1])
    for label in (
        "Change notifications",
        "Life-cycle notice",
        "Password expiry warning",
        "Password expiry digest",
        "Test message",
    ):
        assert f'aria-label="Edit {label}"' in text
    assert "/email-templates/new/?kind=password-warning" in text
    assert "<td>de</td>" in text


def test_a_new_notice_override_starts_from_its_default_text(alice_client, contoso):
    page = html.unescape(alice_client.get(editor(contoso, "password-warning")).content.decode())
    assert "your {{ store.name }} password expires on {{ expires_on }}" in page
    assert '<option value="password-warning" selected>' in page
    assert "{{ expires_on }}, {{ days_left }}" in page  # its placeholders


def test_the_next_warning_uses_the_saved_override(alice_client, expiring):
    response = alice_client.post(editor(expiring), WARNING)
    assert response.status_code == 302
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    [warning] = warnings(expiring)
    assert warning.subject == "Action needed: Ann"
    assert warning.body_text == "Ann, 2 days left. https://portal.contoso.test/"


def test_a_notice_override_in_the_recipients_language_wins(expiring, make_object):
    EmailTemplate.objects.create(
        store=expiring, kind="password-warning", language="de",
        subject="Passwort läuft ab", body_text="Noch {{ days_left }} Tage",
    )  # fmt: skip
    make_object("user", "Udo", "udo@contoso.test", language="de",
                password_expires=at(2026, 3, 13, 9))  # fmt: skip
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    subjects = {m.to: m.subject for m in warnings(expiring)}
    assert subjects == {
        "ann@contoso.test": "[Contoso AD] Your password expires on 2026-03-12",
        "udo@contoso.test": "Passwort läuft ab",
    }


def test_any_change_overrides_do_not_replace_notices(expiring):
    EmailTemplate.objects.create(
        store=expiring, kind="any", language="en", subject="Changed", body_text="Changed"
    )
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    assert warnings(expiring)[0].subject == "[Contoso AD] Your password expires on 2026-03-12"


def test_digest_life_cycle_notice_and_test_message_use_their_overrides(
    expiring, contoso_mail, make_object
):
    for kind, subject in (
        ("password-digest", "{{ count }} warned: {% for w in warned %}{{ w.name }}{% endfor %}"),
        ("lifecycle-notice", "Schedule: {{ notice.subject }}"),
        ("test-message", "Test of {{ store.name }} for {{ recipient.email }}"),
    ):
        EmailTemplate.objects.create(
            store=expiring, kind=kind, language="en", subject=subject, body_text="Body"
        )
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    assert OutgoingMessage.objects.get(kind="password-digest").subject == "1 warned: Ann"
    ann = make_object("user", "Bea", "bea@contoso.test")
    send_notice(expiring, contoso_mail, Notice("Bea left Club", "Bea left.", []), {ann})
    notices = OutgoingMessage.objects.filter(kind="lifecycle")
    assert {m.subject for m in notices} == {"Schedule: Bea left Club"}
    content = store_test_message(expiring.pk, expiring.name, "me@contoso.test")
    assert content.subject == "Test of Contoso AD for me@contoso.test"


@pytest.mark.parametrize("name", ["nested loops", "ljust", "slow"])
@pytest.mark.parametrize("kind", ["password-warning", "password-digest", "lifecycle-notice"])
def test_it_refuses_a_hostile_notice_override_next_to_the_field(alice_client, contoso, name, kind):
    source, message = HOSTILE[name]
    for action in ({}, {"preview": "1"}):
        form = {**WARNING, "kind": kind, "body_text": source, **action}
        page = alice_client.post(editor(contoso), form).content.decode()
        assert message in field_errors(page, "body_text")
        assert 'id="preview-subject"' not in page
    assert not EmailTemplate.objects.exists()


def test_a_hostile_notice_override_saved_before_the_limits_sends_the_default_text(expiring, caplog):
    template = EmailTemplate.objects.create(
        store=expiring, kind="password-warning", language="en", subject="Evil",
        body_text=HOSTILE["nested loops"][0],
    )  # fmt: skip
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    assert warnings(expiring)[0].subject == "[Contoso AD] Your password expires on 2026-03-12"
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert failures == [
        f"Email template override {template.pk} of store {expiring.pk} failed, default text "
        f"sent: {HOSTILE['nested loops'][1]}"
    ]


def test_preview_uses_a_recent_real_warning_of_the_store(alice_client, expiring):
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    [warning] = warnings(expiring)
    page = html.unescape(alice_client.get(editor(expiring, "password-warning")).content.decode())
    assert f'<option value="message:{warning.pk}">' in page
    preview = {**WARNING, "preview": "1", "source": f"message:{warning.pk}"}
    page = html.unescape(alice_client.post(editor(expiring), preview).content.decode())
    subject = page.split('id="preview-subject">')[1].split("<")[0]
    assert subject == "Action needed: Ann"
    assert "Ann, 2 days left. https://portal.contoso.test/" in page
    assert not EmailTemplate.objects.exists()  # Preview saves nothing


def test_preview_refuses_a_notice_of_another_store_or_kind(alice_client, expiring, fabrikam):
    run_job(expiring, PASSWORD_EXPIRY, now=NOW)
    digest = OutgoingMessage.objects.get(kind="password-digest")
    other = OutgoingMessage.objects.create(
        store=fabrikam, kind="password-expiry", subject="S", body_text="B",
        context={"recipient": {"name": "Secret"}},
    )  # fmt: skip
    for row in (digest, other):
        preview = {**WARNING, "preview": "1", "source": f"message:{row.pk}"}
        page = html.unescape(alice_client.post(editor(expiring), preview).content.decode())
        assert "Select a valid choice" in field_errors(page, "source")
        assert "Secret" not in page


def test_preview_of_a_change_notification_uses_a_recent_event(
    alice_client, contoso, alice, make_object
):
    club = make_object("group", "Book Club", security_type="public")
    changes.update_attributes(club, Actor(alice), name="Readers")
    event = DirectoryEvent.objects.get(store=contoso)
    subject = "{{ object.name }} by {{ requester.name }}"
    form = {"kind": "any", "language": "en", "subject": subject, "body_text": "x",
            "body_html": "", "preview": "1", "source": f"event:{event.pk}"}  # fmt: skip
    page = html.unescape(alice_client.post(editor(contoso), form).content.decode())
    assert page.split('id="preview-subject">')[1].split("<")[0] == "Readers by alice"
