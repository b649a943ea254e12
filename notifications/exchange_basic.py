"""Basic SMTP AUTH to Exchange Online is going away: recognising the stores it will stop.

Microsoft turns Basic authentication for SMTP AUTH (client submission) off by default for
existing tenants at the end of December 2026; from then on Exchange Online answers the login
with `550 5.7.30 Basic authentication is not supported for Client Submission`. A store that
signs in with Basic to Exchange Online's submission hosts is warned on its Notifications page
and in Test Server, before its mail stops.
"""

from __future__ import annotations

import re

_BASIC_REFUSED = re.compile(r"(?<![\d.])5\.7\.30(?![\d.])")
EXCHANGE_SUBMISSION_HOSTS = frozenset({"smtp.office365.com", "smtp-legacy.office365.com"})
GUIDE = "exchange-online-oauth"
NOTICE = (
    "Microsoft turns off Basic authentication for SMTP (username and password) by default for "
    "existing Exchange Online tenants at the end of December 2026. This server then refuses "
    "the sign-in with “550 5.7.30 Basic authentication is not supported for Client "
    "Submission”, and notifications stop. Switch to OAuth 2.0 with the Exchange Online preset."
)


def signs_in_with_basic_to_exchange(smtp_host: str, use_smtp_auth: bool, auth_type: str) -> bool:
    """True for a store that will stop sending when Exchange Online drops Basic SMTP AUTH.

    Without "Use SMTP user authentication" the store signs in with each admin's own username and
    password: Basic authentication too, so it is warned as well.
    """
    host = (smtp_host or "").strip().rstrip(".").lower()
    basic = not use_smtp_auth or auth_type == "basic"
    return basic and host in EXCHANGE_SUBMISSION_HOSTS


def refuses_basic(reply: str) -> bool:
    """Exchange Online's answer once Basic SMTP AUTH is off: `550 5.7.30 …`."""
    return bool(_BASIC_REFUSED.search(reply or ""))
