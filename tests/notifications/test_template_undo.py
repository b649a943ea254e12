"""A deleted email template override can be brought back by its admin: Undo delete restores it
as it was, unless an override for the same event and language was made in the meantime."""

from django.urls import reverse

from notifications.models import EmailTemplate


def make_override(store, **values) -> EmailTemplate:
    fields = {"kind": "member_added", "language": "de", "subject": "Neu: {{ member.name }}"}
    fields.update(body_text="Hallo {{ recipient.name }}", body_html="<p>Hallo</p>", **values)
    return EmailTemplate.objects.create(store=store, **fields)


def delete(client, template):
    url = reverse("notifications:email_template_delete", args=[template.store_id, template.pk])
    return client.post(url, {"confirm": "yes"}, follow=True)


def undo(client, store):
    url = reverse("notifications:email_template_restore", args=[store.pk])
    return client.post(url, follow=True)


def test_undo_restores_the_deleted_override_as_it_was(alice_client, contoso):
    template = make_override(contoso)

    page = delete(alice_client, template).content.decode()

    assert not EmailTemplate.objects.exists()
    assert "Undo delete of the de override" in page
    page = undo(alice_client, contoso).content.decode()
    restored = EmailTemplate.objects.get()
    assert (restored.kind, restored.language, restored.subject) == (
        "member_added",
        "de",
        "Neu: {{ member.name }}",
    )
    assert (restored.body_text, restored.body_html) == (
        "Hallo {{ recipient.name }}",
        "<p>Hallo</p>",
    )
    assert "restored." in page
    assert "Undo delete" not in page


def test_undo_refuses_when_the_slot_was_taken_again(alice_client, contoso):
    delete(alice_client, make_override(contoso))
    make_override(contoso, subject="Newer")

    page = undo(alice_client, contoso).content.decode()

    assert "Nothing restored" in page
    assert list(EmailTemplate.objects.values_list("subject", flat=True)) == ["Newer"]


def test_another_stores_admin_cannot_undo(client, bob, alice_client, contoso):
    delete(alice_client, make_override(contoso))
    client.force_login(bob)

    response = client.post(reverse("notifications:email_template_restore", args=[contoso.pk]))

    assert response.status_code == 404
    assert not EmailTemplate.objects.exists()


def test_undo_is_post_only(alice_client, contoso):
    url = reverse("notifications:email_template_restore", args=[contoso.pk])

    assert alice_client.get(url).status_code == 405
