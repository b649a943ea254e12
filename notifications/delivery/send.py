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

from identitystores import credentials

from ..models import NotificationSettings, OutgoingMessage
from ..smtp_config import config_from_settings
from ..transports import SendResult, Transport, TransportConfig, TransportError, get_transport
from .mime import render_message
from .pacing import Grant, send_in_parts
from .signals import Signal, classify

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
    tried: bool = True  # False: never handed to the server, so it uses up no attempt
    signal: Signal | None = None  # the error was the server throttling or refusing the store
    via: str = ""  # "host:port" of the server it went to (failover.py tells first from second)


def plan(rows: list[OutgoingMessage], saved: dict[int, NotificationSettings] | None = None) -> Plan:
    """Rows by store, then by the configuration they go out with (None: store not configured).

    Without SMTP user authentication each acting admin's credentials make a configuration of
    their own; otherwise a store has exactly one. Reads the settings (unless given, by store
    id), so it runs before sending.
    """
    if saved is None:
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


def send_batch(grouped: Plan, grants: dict[int, Grant] | None = None) -> list[Outcome]:
    """Send a planned batch on an event loop of its own (the caller's thread has none).

    `grants` (store id → Grant, from the store's send lane) say how many connections each store
    may use and when each message may start; a store without one sends unpaced.
    """
    grants = grants if grants is not None else {}
    # uvloop: the event loop and socket writes in C take a tenth off the CPU per message.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(send_all(grouped, grants))


async def send_all(grouped: Plan, grants: dict[int, Grant]) -> list[Outcome]:
    """Stores in parallel; within a store one configuration after the other."""
    for store_id in grouped:
        grants.setdefault(store_id, Grant.open())
    per_store = await asyncio.gather(
        *(_send_store(groups, grants[store_id]) for store_id, groups in grouped.items())
    )
    return [outcome for outcomes in per_store for outcome in outcomes]


async def _send_store(groups: dict[TransportConfig | None, list], grant: Grant) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for config, rows in groups.items():
        outcomes += await send_group(config, rows, grant)
    return outcomes


async def send_group(
    config: TransportConfig | None, rows: list, grant: Grant | None = None
) -> list[Outcome]:
    """Up to the grant's connections, each taking the next row when free and its turn came."""
    if config is None:
        error = TransportError(
            "No SMTP server is configured for this identity store.", permanent=True
        )
        return [Outcome(row, error=error) for row in rows]
    grant = grant or Grant.open()
    pending = deque(rows)
    outcomes: list[Outcome] = []
    lanes = min(grant.connections, len(rows))
    await asyncio.gather(*(_lane(config, pending, outcomes, grant) for _ in range(lanes)))
    if pending:
        outcomes += [
            Outcome(row, error=_not_attempted(outcomes, grant), tried=False) for row in pending
        ]
    for outcome in outcomes:
        outcome.via = f"{config.host}:{config.port}"
    return outcomes


def _not_attempted(outcomes: list[Outcome], grant: Grant) -> TransportError:
    if grant.error is not None:
        return grant.error
    last = next((o.error for o in reversed(outcomes) if o.error), None)
    if last is None:  # the grant's start times ran out, or every connection was refused
        return TransportError("Not attempted: waiting for the store's send lane.", permanent=False)
    return TransportError(
        f"Not attempted: the server failed the previous messages ({last.message})",
        permanent=False,
    )


async def _lane(
    config: TransportConfig, pending: deque, outcomes: list[Outcome], grant: Grant
) -> None:
    """One connection: send rows until none is left, it failed too often in a row, the grant
    ran out or the server signalled the store to slow down or stop."""
    try:
        transport = get_transport(config)
    except TransportError as exc:
        while pending:
            outcomes.append(Outcome(pending.popleft(), error=exc))
        return
    failures = 0
    try:
        while pending and failures < MAX_CONSECUTIVE_FAILURES and await grant.turn():
            if not pending:
                break
            row = pending.popleft()
            outcome = await send_one(transport, row, grant)
            signalled = outcome.error is not None and _signalled(outcome, grant)
            if signalled and outcome.signal is Signal.CONNECTIONS:
                pending.appendleft(row)  # one connection too many: another one takes it
                break
            outcomes.append(outcome)
            failures = failures + 1 if outcome.error else 0
    finally:
        await _close(transport)


def _signalled(outcome: Outcome, grant: Grant) -> bool:
    """Whether the failure is a lane signal; a refused connection stops only this connection."""
    outcome.signal = classify(outcome.error)
    if outcome.signal is None:
        return False
    outcome.tried = False
    if outcome.signal is Signal.CONNECTIONS:
        grant.refused_connections += 1
        if grant.error is None:
            grant.error = outcome.error
    else:
        grant.stop(outcome.signal, outcome.error)
    return True


async def send_one(
    transport: Transport, row: OutgoingMessage, grant: Grant | None = None
) -> Outcome:
    """Render and send one row; every failure becomes an Outcome, never an exception."""
    try:
        message = render_message(row)
    except TransportError as exc:
        return Outcome(row, error=exc)
    except (ValueError, TypeError) as exc:  # e.g. text that is not valid Unicode
        error = TransportError(f"The message could not be built: {exc}", permanent=True)
        return Outcome(row, error=error)
    try:
        return Outcome(row, result=await send_in_parts(transport, message, grant or Grant.open()))
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
