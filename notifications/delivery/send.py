"""Sending claimed rows: per store over a few reused connections, each row rendered once.

Stores go out in parallel; within a store, up to MAIL_CONNECTIONS_PER_STORE connections each take
the next row when free. A connection that fails several messages in a row stops and leaves the
rest for a retry, so a server that is down or refuses our credentials is not asked once per
message. Only `plan` reads the database, on the claiming thread; the sending itself runs on the
lease's helper thread (lease.py) and touches no database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from dataclasses import dataclass

import uvloop
from django.conf import settings

from identitystores import credentials

from ..models import NotificationSettings, OutgoingMessage
from ..smtp_config import config_from_settings
from ..transports import SendResult, Transport, TransportConfig, TransportError, get_transport
from .mime import render_message

log = logging.getLogger(__name__)

# A connection that failed this many messages in a row stops; the rest of the batch retries later
# (a server that is down or refuses our credentials is not hammered once per message).
MAX_CONSECUTIVE_FAILURES = 3

Plan = dict[int, dict[TransportConfig | None, list[OutgoingMessage]]]


@dataclass
class Outcome:
    """What sending one row gave: the server's answer, or the error that stopped it."""

    row: OutgoingMessage
    result: SendResult | None = None
    error: TransportError | None = None


def plan(rows: list[OutgoingMessage]) -> Plan:
    """Rows by store, then by the configuration they go out with (None: store not configured).

    Without SMTP user authentication each acting admin's credentials make a configuration of
    their own; otherwise a store has exactly one. Reads the settings, so it runs before sending.
    """
    stores = {row.store_id for row in rows}
    saved = {s.store_id: s for s in NotificationSettings.objects.filter(store_id__in=stores)}
    grouped: Plan = defaultdict(lambda: defaultdict(list))
    for row in rows:
        config = _config(saved.get(row.store_id), row)
        grouped[row.store_id][config].append(row)
    return grouped


def _config(
    store_settings: NotificationSettings | None, row: OutgoingMessage
) -> TransportConfig | None:
    if store_settings is None:
        return None
    username, password = credentials.decode(row.acting_credentials)
    config = config_from_settings(
        store_settings, acting_username=username, acting_password=password
    )
    if config.auth != "graph" and not config.host:  # Graph needs no SMTP server
        return None
    return config


def send_batch(grouped: Plan) -> list[Outcome]:
    """Send a planned batch on an event loop of its own (the caller's thread has none)."""
    # uvloop: the event loop and socket writes in C take a tenth off the CPU per message.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(send_all(grouped))


async def send_all(grouped: Plan) -> list[Outcome]:
    """Stores in parallel; within a store one configuration after the other."""
    per_store = await asyncio.gather(*(_send_store(groups) for groups in grouped.values()))
    return [outcome for outcomes in per_store for outcome in outcomes]


async def _send_store(groups: dict[TransportConfig | None, list]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for config, rows in groups.items():
        outcomes += await send_group(config, rows)
    return outcomes


async def send_group(config: TransportConfig | None, rows: list) -> list[Outcome]:
    """Up to MAIL_CONNECTIONS_PER_STORE connections, each taking the next row when free."""
    if config is None:
        error = TransportError(
            "No SMTP server is configured for this identity store.", permanent=True
        )
        return [Outcome(row, error=error) for row in rows]
    pending = deque(rows)
    outcomes: list[Outcome] = []
    lanes = min(settings.MAIL_CONNECTIONS_PER_STORE, len(rows))
    await asyncio.gather(*(_lane(config, pending, outcomes) for _ in range(lanes)))
    if pending:
        last = next(o.error for o in reversed(outcomes) if o.error)
        error = TransportError(
            f"Not attempted: the server failed the previous messages ({last.message})",
            permanent=False,
        )
        outcomes += [Outcome(row, error=error) for row in pending]
    return outcomes


async def _lane(config: TransportConfig, pending: deque, outcomes: list[Outcome]) -> None:
    """One connection: send rows until none is left or it failed too often in a row."""
    try:
        transport = get_transport(config)
    except TransportError as exc:
        while pending:
            outcomes.append(Outcome(pending.popleft(), error=exc))
        return
    failures = 0
    try:
        while pending and failures < MAX_CONSECUTIVE_FAILURES:
            outcome = await send_one(transport, pending.popleft())
            outcomes.append(outcome)
            failures = failures + 1 if outcome.error else 0
    finally:
        await _close(transport)


async def send_one(transport: Transport, row: OutgoingMessage) -> Outcome:
    """Render and send one row; every failure becomes an Outcome, never an exception."""
    try:
        message = render_message(row)
    except TransportError as exc:
        return Outcome(row, error=exc)
    except (ValueError, TypeError) as exc:  # e.g. text that is not valid Unicode
        error = TransportError(f"The message could not be built: {exc}", permanent=True)
        return Outcome(row, error=error)
    try:
        return Outcome(row, result=await transport.send_rendered(message))
    except TransportError as exc:
        return Outcome(row, error=exc)
    except Exception as exc:
        # A defect must not strand the row in "sending" until the sweeper: log it, retry later.
        log.exception("Outbox message %s: unexpected error while sending", row.pk)
        error = TransportError(f"Unexpected error ({type(exc).__name__}).", permanent=False)
        return Outcome(row, error=error)


async def _close(transport: Transport) -> None:
    try:
        await transport.close()
    except (TransportError, OSError) as exc:
        log.info("Closing a mail connection failed: %s", exc)
