"""Live pages poll for their changing part; those polls do not keep an idle session alive."""

from django.urls import reverse


def expiry_after(client, **headers) -> int:
    session = client.session
    session.set_expiry(120)
    session.save()
    client.get(reverse("identitystores:list"), **headers)
    return client.session.get_expiry_age()


def test_a_page_request_renews_the_idle_expiry(alice_client, settings):
    assert expiry_after(alice_client) == settings.SESSION_IDLE_SECONDS


def test_a_live_poll_leaves_the_idle_expiry_alone(alice_client, settings):
    assert settings.SESSION_IDLE_SECONDS != 120
    assert expiry_after(alice_client, HTTP_HX_REQUEST="true", HTTP_X_LIVE_POLL="1") <= 120
