"""The Test Server button: one test notification through the same transport the workers use,
sent synchronously and bounded in time, with the outcome in words an admin can act on.

`send_test_message` never raises: every failure becomes a `CheckResult` whose message names the
problem (DNS, refused, timeout, certificate, STARTTLS, authentication, token endpoint) and, for
known Exchange Online / Entra ID replies, a hint. Nothing in it is a secret or a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from django.utils import timezone

from core import mail_origin

from .compose import Content, render_notice
from .models import find_override
from .transports import SendResult, TransportConfig, TransportError, get_transport

log = logging.getLogger(__name__)

TIME_LIMIT_SECONDS = 20.0


@dataclass
class CheckResult:
    """What the Test Notification dialog shows. `reply` is the server's own words."""

    ok: bool
    message: str
    reply: str = ""
    hint: str = ""
    notice: str = ""  # a change coming that will stop these settings working
    guide_url: str = ""  # the admin guide that says what to do


def send_test_message(
    config: TransportConfig,
    recipient: str,
    *,
    store_name: str,
    store_id: int,
    time_limit: float = TIME_LIMIT_SECONDS,
    content: Content | None = None,
) -> CheckResult:
    """Send a test notification to `recipient` with `config` (unsaved form values included);
    `content` is the store's test message (`store_test_message`), the default text without it."""
    try:
        message = check_message(config, recipient, store_name, store_id, content)
    except ValueError as exc:
        return CheckResult(ok=False, message=str(exc))
    outcome: list[CheckResult] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_run(config, message, time_limit)), daemon=True
    )
    worker.start()
    # A thread bounds the wait even while msal's blocking HTTP calls run in its executor.
    worker.join(time_limit + 1)
    result = outcome[0] if outcome else _timed_out(config, time_limit)
    log.info(
        "Test message for %s to %s via %s: %s",
        store_name,
        recipient,
        _where(config),
        "accepted" if result.ok else result.message,
    )
    return result


def check_message(
    config: TransportConfig,
    recipient: str,
    store_name: str,
    store_id: int,
    content: Content | None = None,
) -> EmailMessage:
    for value in (recipient, config.from_email, store_name):
        if "\r" in value or "\n" in value:
            raise ValueError("Addresses and names may not contain line breaks.")
    if "@" not in parseaddr(recipient)[1]:
        raise ValueError(f"{recipient!r} is not an email address.")
    message = EmailMessage()
    message["From"] = config.from_email
    message["To"] = recipient
    content = content or render_notice("test", _test_context(store_name, recipient), None)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(timezone.now())
    domain = parseaddr(config.from_email)[1].rpartition("@")[2] or "dirmgr.invalid"
    message["Message-ID"] = mail_origin.new_message_id(store_id, domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(content.body_text)
    message.add_alternative(content.body_html, subtype="html")
    return message


def store_test_message(store_id: int, store_name: str, recipient: str) -> Content:
    """The test message's text: the store's "Test message" override (English), or the default."""
    override = find_override(store_id, "test-message", "en")
    return render_notice("test", _test_context(store_name, recipient), override)


def _test_context(store_name: str, recipient: str) -> dict:
    return {
        "store": {"name": store_name},
        "recipient": {"name": "", "email": recipient, "language": "en"},
    }


def _run(config: TransportConfig, message: EmailMessage, time_limit: float) -> CheckResult:
    try:
        result = asyncio.run(asyncio.wait_for(_send(config, message), time_limit))
    except TransportError as exc:
        return CheckResult(ok=False, message=exc.message, reply=exc.reply, hint=exc.hint)
    except TimeoutError:
        return _timed_out(config, time_limit)
    except Exception as exc:  # the dialog must get an answer whatever happens
        log.error("Test Server failed unexpectedly: %s", type(exc).__name__)
        return CheckResult(
            ok=False, message=f"The test failed unexpectedly ({type(exc).__name__})."
        )
    return _accepted(config, result)


async def _send(config: TransportConfig, message: EmailMessage) -> SendResult:
    transport = get_transport(config)
    try:
        return await transport.send(message)
    finally:
        await transport.close()


def _accepted(config: TransportConfig, result: SendResult) -> CheckResult:
    if result.refused:
        refused = "; ".join(f"{addr}: {reply}" for addr, reply in result.refused.items())
        return CheckResult(
            ok=False, message=f"The server refused the recipient ({refused}).", reply=refused
        )
    return CheckResult(
        ok=True,
        message=f"The test message was accepted by {_where(config)}. Check the recipient's "
        "mailbox.",
        reply=result.reply,
    )


def _timed_out(config: TransportConfig, time_limit: float) -> CheckResult:
    return CheckResult(
        ok=False, message=f"No answer from {_where(config)} within {time_limit:g} s (timed out)."
    )


def _where(config: TransportConfig) -> str:
    return "Microsoft Graph" if config.auth == "graph" else f"{config.host}:{config.port}"
