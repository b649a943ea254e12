"""What each secret of the Notifications page is bound to, and what the page says when it is not
carried over.

Secrets (SMTP password, Client Secret, OAuth Password) are bound to the server they were entered
for (`core.secrets`): a blank box keeps the stored secret only while the host, port, SSL setting,
the second SMTP server (which receives the same credentials), authentication type, username,
token endpoint and client ID are unchanged, so an edited host never receives the old password.
An app-only Client Secret (no Username) sends as the From mailbox, any mailbox of the tenant, so
it is bound to the From email address as well and the tenant's app permission is not turned on
another mailbox.
"""

from __future__ import annotations

from typing import Any

from core.secrets import BoundSecret

SECRET_LABELS = {
    "smtp_password": "SMTP password",
    "client_secret": "Client Secret",
    "oauth_password": "Password",
}
# The second SMTP server receives the same credentials, so they are bound to it as well.
_SECOND = ("second_smtp_host", "second_port", "second_ssl_enabled")
_SERVER = ("smtp_host", "port", "ssl_enabled", "auth_type", *_SECOND)
_OAUTH = (*_SERVER, "token_endpoint", "client_id")


def _server_bound(secret: str, bound_to: tuple[str, ...], **reasons: str) -> BoundSecret:
    label = SECRET_LABELS[secret]
    return BoundSecret(
        bound_to,
        when_blank=f"Enter the {label}.",
        when_moved=f"The server settings changed, so the stored {label} is not carried over. "
        f"Enter the {label} again.",
        reasons=reasons,
    )


SECRETS = {
    "smtp_password": _server_bound("smtp_password", (*_SERVER, "smtp_username")),
    "client_secret": _server_bound("client_secret", _OAUTH),
    "oauth_password": _server_bound("oauth_password", (*_OAUTH, "oauth_username")),
}
APP_ONLY_CLIENT_SECRET = _server_bound(
    "client_secret",
    (*_OAUTH, "from_email", "oauth_username"),
    from_email="The From email address changed, and an app-only Client Secret sends as that "
    "mailbox, so the stored Client Secret is not carried over. Enter the Client Secret again.",
)


def binding(secret: str, data: dict[str, Any]) -> BoundSecret:
    """What a stored secret is bound to, given the settings as typed: an app-only Client Secret
    (no Username) is bound to the From address and to the Username staying blank as well."""
    if secret == "client_secret" and not data.get("oauth_username"):
        return APP_ONLY_CLIENT_SECRET
    return SECRETS[secret]
