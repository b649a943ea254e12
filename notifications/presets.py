"""Provider presets of the Notifications page: each provider's documented server and limits.

A preset is a starting point, never a setting of its own: applying one fills the SMTP Server
section's fields (and the sending limits) with the provider's figures, and every value stays
editable. Nothing is saved until Save, and no secret field is ever touched, so a stored password
or Client Secret is kept exactly as the page's rules keep it (while the server it was entered
for is unchanged).

The sending limits use the form field names of the "Advanced: sending limits" part of the page
(`LIMIT_FIELDS`); `None` means the provider documents no limit and the field is left blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LIMIT_FIELDS = (
    "max_connections",
    "messages_per_minute",
    "recipients_per_message",
    "recipients_per_day",
)
TENANT_PLACEHOLDER = "<tenant>"
MICROSOFT_TOKEN_ENDPOINT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
_MICROSOFT_ENDPOINT = re.compile(
    r"^https://login\.microsoftonline\.com/([^/<>\s]+)/oauth2/v2\.0/token$", re.IGNORECASE
)
_TENANT_NAME = re.compile(
    r"^([a-z0-9-]+(\.[a-z0-9-]+)+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)
_NOT_A_TENANT = {"organizations", "common", "consumers"}


@dataclass(frozen=True)
class SendingLimits:
    """Per sending mailbox. None: the provider documents no such limit."""

    max_connections: int | None = None
    messages_per_minute: int | None = None
    recipients_per_message: int | None = None
    recipients_per_day: int | None = None

    def as_fields(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_FIELDS}

    def in_words(self) -> str:
        parts = [
            (self.max_connections, "connections at a time"),
            (self.messages_per_minute, "messages a minute"),
            (self.recipients_per_message, "recipients per message"),
            (self.recipients_per_day, "recipients a day"),
        ]
        said = [f"{value:,} {what}" for value, what in parts if value is not None]
        return ", ".join(said) if said else "no sending limits"


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    note: str
    server: dict[str, Any]
    limits: SendingLimits = field(default_factory=SendingLimits)


# Exchange Online, SMTP AUTH with OAuth 2.0 (XOAUTH2), app-only token of the tenant.
# - Server: https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
#   (smtp.office365.com:587, STARTTLS; scope https://outlook.office365.com/.default).
# - Limits per mailbox: https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits
#   (10,000 recipients a day, 30 messages a minute, 500 recipients per message by default) and
#   3 concurrent SMTP AUTH connections (a 4th answers 432 4.3.2 STOREDRV.ClientSubmit).
EXCHANGE_ONLINE = Preset(
    key="exchange_online",
    label="Exchange Online (SMTP with OAuth 2.0)",
    note="Replace <tenant> in the Token Endpoint with your tenant ID or domain, then enter the "
    "Client ID and Client Secret of your app registration.",
    server={
        "smtp_host": "smtp.office365.com",
        "port": 587,
        "ssl_enabled": True,
        "use_smtp_auth": True,
        "auth_type": "oauth2",
        "token_endpoint": MICROSOFT_TOKEN_ENDPOINT,
        "scope": "https://outlook.office365.com/.default",
    },
    limits=SendingLimits(3, 30, 500, 10_000),
)

# Office 365 through Microsoft Graph sendMail: the Graph endpoint in Token Endpoint and the
# tenant in Scope (docs/office365-graph.md).
# - Exchange's sending limits apply to sendMail too (link above); Graph's Outlook service limit
#   is 4 concurrent requests per app and mailbox:
#   https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
OFFICE365_GRAPH = Preset(
    key="office365_graph",
    label="Office 365 through Microsoft Graph",
    note="Enter your tenant (e.g. contoso.onmicrosoft.com) in Scope, then the Client ID and "
    "Client Secret of an app with the Mail.Send permission.",
    server={
        "smtp_host": "graph.microsoft.com",
        "port": 443,
        "ssl_enabled": True,
        "use_smtp_auth": True,
        "auth_type": "oauth2",
        "token_endpoint": "https://graph.microsoft.com/v1.0",
        "scope": "{tenant}",
    },
    limits=SendingLimits(4, 30, 500, 10_000),
)

# Google Workspace / Gmail: smtp.gmail.com:587 with STARTTLS.
# - Server and OAuth scope: https://developers.google.com/gmail/imap/imap-smtp and
#   https://developers.google.com/gmail/imap/xoauth2-protocol (scope https://mail.google.com/,
#   token endpoint https://oauth2.googleapis.com/token).
# - Limits: https://support.google.com/a/answer/166852 — 2,000 messages a day per user (500
#   during a trial), 10,000 recipients and 3,000 unique recipients (2,000 external) a day, and
#   100 recipients per message sent via SMTP (smtp.gmail.com included); no per-minute or
#   connection limit is documented. The daily figure here is 2,000 recipients: each message
#   has at least one recipient, so it keeps the message and the recipient limits alike.
# This Admin Center's OAuth 2.0 token client speaks Microsoft's identity platform only, so the
# preset signs in with Basic (an app password of the sending account) and fills Google's OAuth
# values in the OAuth 2.0 tile for reference.
GOOGLE_WORKSPACE = Preset(
    key="google_workspace",
    label="Google Workspace / Gmail",
    note="Sign in with the sending account and an app password (Basic). The OAuth 2.0 tile is "
    "filled with Google's values for reference; sending with them is not supported yet.",
    server={
        "smtp_host": "smtp.gmail.com",
        "port": 587,
        "ssl_enabled": True,
        "use_smtp_auth": True,
        "auth_type": "basic",
        "token_endpoint": "https://oauth2.googleapis.com/token",
        "scope": "https://mail.google.com/",
    },
    limits=SendingLimits(None, None, 100, 2_000),
)

# An organisation's own relay (Exchange Server receive connector, Postfix): port 25, no
# authentication, no limits; the server is the organisation's to name.
INTERNAL_RELAY = Preset(
    key="internal_relay",
    label="Internal relay (no limits)",
    note="Enter your relay's name in SMTP Server. It must accept mail from this server without "
    "authentication; turn SSL on if it offers STARTTLS.",
    server={"port": 25, "ssl_enabled": False, "use_smtp_auth": False},
)

PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (EXCHANGE_ONLINE, OFFICE365_GRAPH, GOOGLE_WORKSPACE, INTERNAL_RELAY)
}


def preset_values(preset: Preset, current: dict[str, Any]) -> dict[str, Any]:
    """The field values after applying `preset` to the values now in the form.

    The tenant already typed (in a Microsoft token endpoint, or as the Graph Scope) is carried
    over, so switching between the two Microsoft presets does not lose it.
    """
    tenant = tenant_of(current) or ""
    values = {}
    for name, value in preset.server.items():
        if isinstance(value, str) and "{tenant}" in value:
            value = value.format(tenant=tenant or (TENANT_PLACEHOLDER if name != "scope" else ""))
        values[name] = value
    return values | preset.limits.as_fields()


def tenant_of(current: dict[str, Any]) -> str | None:
    """The tenant named in a Microsoft token endpoint, or in Scope (the Graph convention)."""
    found = _MICROSOFT_ENDPOINT.match(str(current.get("token_endpoint") or "").strip())
    if found and found.group(1).lower() not in _NOT_A_TENANT:
        return found.group(1)
    scope = str(current.get("scope") or "").strip()
    return scope if _TENANT_NAME.match(scope) else None


def as_json() -> dict[str, dict[str, Any]]:
    """What the page's script needs to fill the fields in place, as the server would."""
    return {
        key: {
            "server": preset.server,
            "limits": preset.limits.as_fields(),
            "limits_text": preset.limits.in_words(),
            "note": preset.note,
            "label": preset.label,
        }
        for key, preset in PRESETS.items()
    }
