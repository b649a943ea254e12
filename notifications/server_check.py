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
) -> CheckResult:
    """Send a test notification to `recipient` with `config` (unsaved form values included)."""
    try:
        message = check_message(config, recipient, store_name, store_id)
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
    config: TransportConfig, recipient: str, store_name: str, store_id: int
) -> EmailMessage:
    for value in (recipient, config.from_email, store_name):
        if "\r" in value or "\n" in value:
            raise ValueError("Addresses and names may not contain line breaks.")
    if "@" not in parseaddr(recipient)[1]:
        raise ValueError(f"{recipient!r} is not an email address.")
    message = EmailMessage()
    message["From"] = config.from_email
    message["To"] = recipient
    message["Subject"] = f"Test notification from {store_name}"
    message["Date"] = format_datetime(timezone.now())
    domain = parseaddr(config.from_email)[1].rpartition("@")[2] or "dirmgr.invalid"
    message["Message-ID"] = mail_origin.new_message_id(store_id, domain)
    message["Auto-Submitted"] = "auto-generated"
    text = (
        f"This is a test notification from the identity store {store_name}.\n"
        "It arrived, so the store's mail settings work. No action is needed."
    )
    message.set_content(text)
    message.add_alternative(f"<p>{text.replace(chr(10), '<br>')}</p>", subtype="html")
    return message


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
