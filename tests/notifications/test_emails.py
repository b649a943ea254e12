"""Notification emails: content, Bcc batches, languages, per-store overrides and their editor."""

import pytest
from django.core.exceptions import ValidationError

from directory import changes
from directory.changes import Actor
from directory.models import GroupMembership, Route
from notifications.models import EmailTemplate, OutgoingMessage
from tests.support.confirm import read_confirmation


@pytest.fixture
def club(make_object, contoso_mail):
    contoso_mail.notify_modified_object = True
    contoso_mail.save()
    group = make_object("group", "Book <Club>", "", security_type="public")
    for name, language in [
        ("Ann", "en"),
        ("Ben", "de"),
        ("Cal", "en"),
        ("Dora", "de-at"),
        ("Eve", "en"),
    ]:
        member = make_object("user", name, f"{name.lower()}@contoso.test", language=language)
        GroupMembership.objects.create(group=group, member=member)
    return group


def override(store, kind="any", language="en", **parts):
    values = {"subject": "S", "body_text": "T", "body_html": "", **parts}
    return EmailTemplate.objects.create(store=store, kind=kind, language=language, **values)


def messages_by_bcc():
    return {m.bcc: m for m in OutgoingMessage.objects.all()}


def test_it_says_what_changed_on_which_object_by_whom_when(contoso, club, alice):
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    changes.update_attributes(club, Actor(alice), name="Readers", security_type="semi_private")
    message = OutgoingMessage.objects.first()
    assert message.subject == "[Contoso AD] Attributes changed: Readers"
    text = message.body_text
    assert "alice made a change in Contoso AD." in text
    assert "Object: Readers (Group)" in text
    assert "By: alice <alice@contoso.test> via Admin Center" in text
    assert "- name: Book <Club> → Readers" in text
    assert "- security_type: public → semi_private" in text
    assert ("CET" in text) or ("CEST" in text)
    assert "Book &lt;Club&gt;" in message.body_html and "<Club>" not in message.body_html
    assert message.from_email == "directory@contoso.test"
    assert message.triggered_by == alice


def test_it_names_the_member_added_and_the_schedule_as_requester(contoso, club, make_object):
    newcomer = make_object("user", "Zed", "zed@contoso.test")
    changes.add_member(club, newcomer, Actor(route=Route.LIFECYCLE))
    text = OutgoingMessage.objects.first().body_text
    assert "Life-cycle schedule made a change in Contoso AD." in text
    assert "Member: Zed" in text


def test_it_splits_bcc_into_batches_of_the_configured_size(contoso, club, alice, settings):
    settings.NOTIFICATION_BCC_BATCH = 2
    changes.update_attributes(club, Actor(alice), name="Readers")
    batches = [set(bcc.split("; ")) for bcc in messages_by_bcc()]
    assert sorted(len(b) for b in batches) == [1, 2, 2]
    everyone = {f"{n}@contoso.test" for n in ("ann", "ben", "cal", "dora", "eve")}
    assert set().union(*batches) == everyone


def test_it_picks_the_template_by_the_recipients_language(contoso, club, alice):
    override(contoso, language="de", subject="Geändert: {{ object.name }}", body_text="Hallo")
    changes.update_attributes(club, Actor(alice), name="Leser")
    subjects = {frozenset(m.bcc.split("; ")): m.subject for m in OutgoingMessage.objects.all()}
    english = frozenset({"ann@contoso.test", "cal@contoso.test", "eve@contoso.test"})
    assert subjects == {
        frozenset({"ben@contoso.test", "dora@contoso.test"}): "Geändert: Leser",  # de-at → de
        english: "[Contoso AD] Attributes changed: Leser",
    }


def test_it_prefers_a_template_for_the_event_over_one_for_any_change(
    contoso, club, alice, make_object
):
    override(contoso, kind="any", subject="Any: {{ event.action }}")
    override(contoso, kind="member_added", subject="Welcome to {{ object.name }}")
    changes.update_attributes(club, Actor(alice), name="Readers")
    changes.add_member(club, make_object("user", "Zed", "zed@contoso.test"), Actor(alice))
    subjects = {m.subject for m in OutgoingMessage.objects.filter(bcc__contains="ann@")}
    assert subjects == {"Any: Attributes changed", "Welcome to Readers"}


def test_it_greets_a_lone_recipient_by_name_and_a_shared_message_neutrally(
    contoso, club, alice, settings
):
    settings.NOTIFICATION_BCC_BATCH = 1
    changes.update_attributes(club, Actor(alice), name="Readers")
    assert messages_by_bcc()["ben@contoso.test"].body_text.startswith("Hello Ben,")
    settings.NOTIFICATION_BCC_BATCH = 100
    OutgoingMessage.objects.all().delete()
    changes.update_attributes(club, Actor(alice), name="Readers 2")
    assert OutgoingMessage.objects.first().body_text.startswith("Hello,")


def test_it_keeps_overrides_away_from_models_and_secrets(contoso, club, alice, contoso_mail):
    contoso_mail.smtp_password = "s3cret-password"
    contoso_mail.save()
    override(
        contoso,
        subject="{{ object.name }}",
        body_text="[{{ store.notification_settings.smtp_password }}{{ store.pk }}"
        "{{ requester.password }}]",
    )
    changes.update_attributes(club, Actor(alice), name="Evil\r\nBcc: victim@evil.test")
    message = OutgoingMessage.objects.first()
    assert "[]" in message.body_text and "s3cret" not in message.body_text
    assert message.subject == "Evil Bcc: victim@evil.test"  # one header line, never two


def test_it_falls_back_to_the_default_when_an_override_fails_to_render(
    contoso, club, alice, caplog
):
    override(contoso, body_text='{% include "base.html" %}')  # saved around the form's check
    changes.update_attributes(club, Actor(alice), name="Readers")
    assert OutgoingMessage.objects.first().subject == "[Contoso AD] Attributes changed: Readers"
    assert "Email template override of store" in caplog.text


@pytest.mark.parametrize(
    ("parts", "field", "message"),
    [
        ({"subject": "{% if %}"}, "subject", "Template syntax error"),
        ({"body_text": "{{ x|nosuchfilter }}"}, "body_text", "Template syntax error"),
        ({"body_html": "{% load static %}"}, "body_html", "Template syntax error"),
        ({"body_text": '{% include "base.html" %}'}, "body_text", "cannot include other templates"),
    ],
)
def test_it_checks_the_syntax_of_an_override_on_save(contoso, parts, field, message):
    template = EmailTemplate(store=contoso, kind="any", language="en", subject="S", body_text="T")
    for name, value in parts.items():
        setattr(template, name, value)
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert message in " ".join(caught.value.message_dict[field])


# --- The override editor -----------------------------------------------------------------------


def editor(store, template=None):
    base = f"/identity-stores/{store.pk}/email-templates/"
    return f"{base}{template.pk}/" if template else f"{base}new/"


FORM = {"kind": "member_added", "language": "fr", "subject": "Bienvenue {{ member.name }}",
        "body_text": "Bonjour {{ recipient.name }}", "body_html": ""}  # fmt: skip


def test_it_previews_an_override_with_sample_data_without_saving(alice_client, contoso):
    page = alice_client.post(editor(contoso), {**FORM, "preview": "1"}).content.decode()
    assert '<span id="preview-subject">Bienvenue Dana Scott</span>' in page
    assert "Bonjour Dana Scott" in page
    assert not EmailTemplate.objects.exists()


def test_it_starts_a_new_override_from_the_default_text(alice_client, contoso):
    page = alice_client.get(editor(contoso)).content.decode()
    assert "{{ store.name }}] {{ event.action }}: {{ object.name }}" in page


def test_it_saves_an_override_and_shows_syntax_errors_next_to_the_field(alice_client, contoso):
    page = alice_client.post(editor(contoso), {**FORM, "subject": "{% if %}"}).content.decode()
    assert "Template syntax error" in page.split('id="field-subject"')[1].split("</div>")[0]
    assert not EmailTemplate.objects.exists()
    response = alice_client.post(editor(contoso), FORM)
    saved = EmailTemplate.objects.get()
    assert response.url == editor(contoso, saved)
    assert (saved.store, saved.language, saved.subject) == (contoso, "fr", FORM["subject"])
    page = alice_client.post(editor(contoso), FORM).content.decode()
    assert "already has a template for this event and language" in page


def test_it_lists_and_deletes_overrides(alice_client, contoso):
    template = override(contoso, language="de")
    assert (
        "Any change"
        in alice_client.get(f"/identity-stores/{contoso.pk}/email-templates/").content.decode()
    )
    asked = read_confirmation(alice_client.post(f"{editor(contoso, template)}delete/"))
    assert asked.question == "Delete the template override “Any change (de)”?"
    assert asked.cancel_url == f"/identity-stores/{contoso.pk}/email-templates/"
    assert EmailTemplate.objects.exists()
    response = alice_client.post(asked.action, asked.data, follow=True)
    assert (
        "Template “Any change (de)” deleted; the default applies again."
        in response.content.decode()
    )
    assert not EmailTemplate.objects.exists()


def test_the_delete_button_carries_the_dialogs_question(alice_client, contoso):
    override(contoso, language="de")
    page = alice_client.get(f"/identity-stores/{contoso.pk}/email-templates/").content.decode()
    assert 'data-confirm="Delete the template override “Any change (de)”?"' in page


def test_it_hides_another_stores_overrides(client, bob, contoso):
    template = override(contoso)
    client.force_login(bob)
    assert client.get(f"/identity-stores/{contoso.pk}/email-templates/").status_code == 404
    assert client.get(editor(contoso, template)).status_code == 404
    assert client.post(f"{editor(contoso, template)}delete/", {"confirm": "yes"}).status_code == 404
    assert EmailTemplate.objects.exists()


def test_it_escapes_directory_names_in_the_html_made_from_an_override_without_html(
    contoso, club, alice
):
    override(contoso, body_text="Changed: {{ object.name }}\nBy {{ requester.name }}")
    changes.update_attributes(club, Actor(alice), name="<img src=x onerror=alert(1)>")
    message = OutgoingMessage.objects.first()
    assert message.body_text.startswith("Changed: <img src=x onerror=alert(1)>")
    assert "&lt;img src=x onerror=alert(1)&gt;" in message.body_html
    assert "<img" not in message.body_html
    assert "<br>" in message.body_html  # line breaks still become HTML
