"""The Notifications page as the tests drive it: its addresses, a valid form, posting it with
changes, the settings it saved, and the messages shown next to one field."""

from notifications.models import NotificationSettings

URL = "/identity-stores/{}/configurations/notifications/"
TEST_SERVER_URL = URL + "test-server/"
JSON = {"HTTP_ACCEPT": "application/json"}
SECRET = "Pa55-word-that-must-never-show"

VALID = {
    "smtp_host": "smtp.contoso.test",
    "from_email": "notify@contoso.test",
    "port": "587",
    "ssl_enabled": "on",
    "auth_type": "basic",
    "to_recipients": "",
    "cc_recipients": "",
}


def post(client, store, **changes):
    """Save the page with VALID changed by `changes`; a None value leaves the field out."""
    data = {**VALID, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(URL.format(store.pk), data)


def saved(store) -> NotificationSettings:
    return NotificationSettings.objects.get(store=store)


def configure_basic(client, store, **extra):
    """Save Basic authentication with SECRET as the stored SMTP password."""
    return post(
        client,
        store,
        use_smtp_auth="on",
        auth_type="basic",
        smtp_username="svc-notify",
        smtp_password=SECRET,
        **extra,
    )


def field_html(response, name: str) -> str:
    """The page's markup for field `name`, up to the end of its first block (label, box and the
    messages next to it)."""
    return response.content.decode().split(f'id="field-{name}"', 1)[1].split("</div>", 1)[0]
