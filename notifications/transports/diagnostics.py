"""Plain-language hints for replies an admin cannot be expected to decode.

Exchange Online answers with enhanced status codes (`5.7.139`) and Entra ID with `AADSTS…`
codes; each maps to what to change in the settings. Matching is on the code alone, so the hint
survives Microsoft rewording the text around it.
"""

from __future__ import annotations

import re

SMTP_HINTS: tuple[tuple[str, str], ...] = (
    (
        "5.7.139",
        "Basic authentication (SMTP AUTH) is disabled for this Microsoft 365 tenant or mailbox. "
        "Enable authenticated SMTP for the mailbox, or set Authentication Type to OAuth 2.0.",
    ),
    (
        "5.7.30",
        "Exchange Online no longer accepts Basic authentication (username and password) for "
        "sending mail: Microsoft turns it off by default for existing tenants at the end of "
        "December 2026. On the Notifications page, set Authentication Type to OAuth 2.0 with "
        "the Exchange Online preset (see docs/exchange-online-oauth.md).",
    ),
    (
        "5.7.57",
        "The server does not accept mail from unauthenticated clients: turn on "
        "“Use SMTP user authentication” and enter the mailbox's credentials.",
    ),
    (
        "5.7.60",
        "The signed-in account may not send as the From email address: use the mailbox's own "
        "address as From, or grant the account Send As permission on it.",
    ),
    (
        "5.7.3",
        "Exchange Online rejected the sign-in. Check the username and password; with OAuth 2.0, "
        "check that the app has the SMTP.Send permission (app-only: that its service principal "
        "has access to the mailbox) and that authenticated SMTP is enabled for the mailbox.",
    ),
    (
        "STOREDRV",
        "Exchange could not submit the message from this mailbox — most often the From email "
        "address is not the signed-in mailbox (and it has no Send As permission), or the "
        "mailbox exceeded a sending limit.",
    ),
    (
        "5.7.708",
        "Microsoft 365 refuses mail from this server's IP address; use authenticated "
        "submission (smtp.office365.com:587) or ask Microsoft to delist the address.",
    ),
    (
        "5.7.750",
        "The tenant is blocked from sending mail from unregistered domains: verify the "
        "sender's domain in Microsoft 365.",
    ),
    (
        "5.7.54",
        "The server does not relay to this recipient's domain for this client: authenticate, "
        "or allow this server to relay in the mail server's connector settings.",
    ),
    (
        "4.3.2",
        "Exchange Online limits concurrent connections per mailbox: lower the number of "
        "parallel connections; the message is retried.",
    ),
    (
        "5.1.8",
        "The sending mailbox is blocked for outbound mail (often after suspected spam): "
        "ask the Microsoft 365 administrator to release it.",
    ),
)

TOKEN_HINTS: tuple[tuple[str, str], ...] = (
    ("AADSTS7000215", "The Client Secret is wrong or expired: create a new one in Entra ID."),
    ("AADSTS7000222", "The Client Secret has expired: create a new one in Entra ID."),
    ("AADSTS700016", "No application with this Client ID exists in the tenant."),
    ("AADSTS90002", "The tenant in the Token Endpoint (or Scope) does not exist."),
    ("AADSTS50126", "The Username or Password is wrong."),
    ("AADSTS50034", "The Username does not exist in this tenant."),
    (
        "AADSTS50076",
        "The account requires multi-factor authentication, which the password grant cannot "
        "do: exclude it from MFA, or clear Username/Password to use the app-only grant.",
    ),
    ("AADSTS50079", "The account must register for multi-factor authentication first."),
    ("AADSTS65001", "An administrator must grant consent to the app's permissions."),
    ("AADSTS70011", "The Scope is not valid for this app."),
    ("AADSTS50057", "The account is disabled."),
    ("AADSTS50055", "The account's password has expired."),
)

_AADSTS = re.compile(r"AADSTS\d+")


def smtp_hint(reply: str) -> str:
    """The hint for an SMTP reply such as `535 5.7.139 Authentication unsuccessful…`, or ""."""
    return _first(SMTP_HINTS, reply)


def token_hint(description: str) -> str:
    """The hint for a token endpoint error description carrying an `AADSTS…` code, or ""."""
    codes = _AADSTS.findall(description)
    return next((hint for code in codes for key, hint in TOKEN_HINTS if key == code), "")


def _first(table: tuple[tuple[str, str], ...], text: str) -> str:
    return next((hint for key, hint in table if _contains_code(text, key)), "")


def _contains_code(text: str, code: str) -> bool:
    """`5.7.3` must not match `5.7.30` or `5.7.139`: a numeric code must stand alone."""
    if not code[0].isdigit():
        return code in text
    return re.search(r"(?<![\d.])" + re.escape(code) + r"(?![\d.])", text) is not None
