"""Failover to a store's second SMTP server: when the first is unreachable or refuses service for
the store's "Switch after" minutes, its lane sends through the second, tries the first again
every PROBE_EVERY lane minutes with a single message, and switches back when that one goes.

The state lives in the store's `SendLane` row, so every worker on every host routes alike. The
second server uses the first's From address, authentication type and credentials; mail that
carries an acting admin's sign-in credentials, and Microsoft Graph, never fail over (that admin
trusted the first server only; Graph has no SMTP server). What counts as the first failing:
nothing answered (refused, timed out, DNS), a 421 reply, or MAIL FROM refused with a 4xx
mail-system reply (4.3.x). Refused recipients and refused credentials do not: those hold or
fail the mail as before, whichever server is in use.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from identitystores import audit

from ..models import NotificationSettings, OutgoingMessage, SendLane
from ..transports import TransportConfig, TransportError
from .budget import locked, minute
from .send import Outcome, Plan
from .signals import Signal

PROBE_EVERY = 5  # lane minutes between single-message tries of the first server
SWITCHED_OVER = "Delivery switched to the second SMTP server"
SWITCHED_BACK = "Delivery switched back to the first SMTP server"
Status = OutgoingMessage.Status


def where(config: TransportConfig) -> str:
    """How a row's `sent_via` names a server."""
    return f"{config.host}:{config.port}"


def sent_through(row: OutgoingMessage) -> str:
    """The row page's words for the server that accepted the row ("" before it was sent)."""
    if not row.sent_via:
        return ""
    saved = NotificationSettings.objects.filter(store_id=row.store_id).first()
    if saved and row.sent_via == f"{saved.second_smtp_host}:{saved.second_port}":
        return f"{row.sent_via} (the second SMTP server)"
    return row.sent_via


def second_config(config: TransportConfig | None, saved: NotificationSettings):
    """The second server with the first's authentication, or None where failover never applies."""
    if config is None or not saved.second_smtp_host or config.auth == "graph":
        return None
    if config.auth == "none" and config.username:  # an acting admin's credentials
        return None
    return dataclasses.replace(
        config,
        host=saved.second_smtp_host,
        port=saved.second_port,
        ssl_enabled=saved.second_ssl_enabled,
    )


def route(grouped: Plan, saved: dict[int, NotificationSettings]) -> tuple[Plan, set[int]]:
    """Send failed-over stores' rows through their second server (one row to the first when a
    probe is due). Returns the plan and the stores whose lane watches the first server."""
    stores = [sid for sid in grouped if sid in saved and saved[sid].second_smtp_host]
    if not stores:
        return grouped, set()
    watching = SendLane.objects.filter(store_id__in=stores).filter(
        Q(first_failing_since__isnull=False) | Q(failover_since__isnull=False)
    )
    for lane in watching.filter(failover_since__isnull=False):
        probe = _claim_probe(lane)
        grouped[lane.pk] = _to_second(grouped[lane.pk], saved[lane.pk], probe)
    return grouped, set(watching.values_list("store_id", flat=True))


def _claim_probe(lane: SendLane) -> bool:
    """Whether this batch tries the first server: one worker per probe time wins."""
    now = timezone.now()
    if lane.probe_at is not None and lane.probe_at > now:
        return False
    following = now + timedelta(seconds=PROBE_EVERY * minute())
    return bool(
        SendLane.objects.filter(pk=lane.pk, probe_at=lane.probe_at).update(probe_at=following)
    )


def _to_second(groups: dict, saved: NotificationSettings, probe: bool) -> dict:
    routed: dict = defaultdict(list)
    for config, rows in groups.items():
        second = second_config(config, saved)
        if second is None:
            routed[config] += rows
            continue
        if probe and rows:
            routed[config].append(rows[0])
            rows, probe = rows[1:], False
        if rows:
            routed[second] += rows
    return routed


SENDER_REFUSED = "The server refused the sender address"
_MAIL_SYSTEM = re.compile(r"^4\d\d(?: 4\.3\.\d{1,3}\b|(?! \d\.))")


def fails_service(outcome: Outcome) -> bool:
    """Nothing answered, the server replied 421, or it refused MAIL FROM with a 4xx mail-system
    reply (4.3.x, or no enhanced code): the first server is out of service. Throttling (4.7.x)
    and quota replies are lane signals, handled by learn.py whichever server is in use."""
    error = outcome.error
    if error is None:
        return False
    if outcome.signal is Signal.RATE and error.reply.startswith("421"):
        return True
    if outcome.signal is None and error.message.startswith(SENDER_REFUSED):
        return bool(_MAIL_SYSTEM.match(error.reply))
    return outcome.tried and not error.reply and not error.permanent


def learn(
    outcomes: list[Outcome], saved: dict[int, NotificationSettings], watching: set[int]
) -> list[int]:
    """Tell each store's lane how its first server did; switch over or back. Returns ids of
    rows that failed on the first server while mail goes to the second: due again now."""
    by_store: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        found = saved.get(outcome.row.store_id)
        if found is not None and found.second_smtp_host and outcome.via == _first(found):
            by_store[outcome.row.store_id].append(outcome)
    due: list[int] = []
    for store_id, firsts in by_store.items():
        worked = any(o.error is None for o in firsts)
        failed = [o for o in firsts if fails_service(o)]
        if worked and store_id in watching:
            _recovered(store_id)
        elif failed and not worked:
            due += _failing(saved[store_id], failed)
    return due


def _first(saved: NotificationSettings) -> str:
    return f"{saved.smtp_host}:{saved.port}"


def forget(store_id: int) -> None:
    """The store's SMTP servers changed: start again on the first, with nothing held against it."""
    SendLane.objects.filter(pk=store_id).update(
        first_failing_since=None,
        first_failure="",
        failover_since=None,
        failover_host="",
        probe_at=None,
    )


def _recovered(store_id: int) -> None:
    with locked(store_id) as lane:
        was_over = lane.failover_since is not None
        lane.first_failing_since = lane.failover_since = lane.probe_at = None
        lane.first_failure = lane.failover_host = ""
        if was_over:  # what the lane learned from the second server does not apply to the first
            lane.learned_connections = lane.learned_per_minute = lane.learned_per_message = None
    if was_over:
        store = NotificationSettings.objects.get(store_id=store_id).store
        audit.record(store, None, SWITCHED_BACK, [("SMTP server", "second", "first")])


def _failing(saved: NotificationSettings, failed: list[Outcome]) -> list[int]:
    now = timezone.now()
    reason = short_reason(failed[-1].error)
    with locked(saved.store_id) as lane:
        if lane.first_failing_since is None:
            lane.first_failing_since, lane.first_failure = now, reason
        switch = lane.failover_since is None and _long_enough(lane.first_failing_since, saved, now)
        if switch:
            _switch_over(lane, saved, reason, now)
        over = lane.failover_since is not None
    if switch:
        audit.record(saved.store, None, SWITCHED_OVER, [("Reason", "", f"the first is {reason}")])
    return _due_now([o.row.pk for o in failed]) if over else []


def _long_enough(since: datetime, saved: NotificationSettings, now: datetime) -> bool:
    return (now - since).total_seconds() >= saved.switch_after * minute()


def _switch_over(lane: SendLane, saved: NotificationSettings, reason: str, now) -> None:
    """Mail goes to the second server; what the lane learned from the first does not apply."""
    lane.failover_since, lane.failover_host, lane.first_failure = (
        now,
        saved.second_smtp_host,
        reason,
    )
    lane.probe_at = now + timedelta(seconds=PROBE_EVERY * minute())
    lane.learned_connections = lane.learned_per_minute = lane.learned_per_message = None
    lane.paused_until = None


def _due_now(ids: list[int]) -> list[int]:
    """Rows that failed on the first server are due at once (through the second); they keep the
    attempt their failed try counted, and no more."""
    waiting = OutgoingMessage.objects.filter(
        pk__in=ids, status__in=[Status.RETRYING, Status.QUEUED]
    )
    found = list(waiting.values_list("pk", flat=True))
    waiting.filter(pk__in=found).update(next_attempt_at=timezone.now())
    return found


def short_reason(error: TransportError | None) -> str:
    """ "unreachable (Nothing answered at smtp1:25)" or "refusing service (421 4.3.2)"."""
    if error is None:
        return "unreachable"
    if error.reply:
        words = error.reply.split()
        return f"refusing service ({' '.join(words[:2])[:60]})"
    first = error.message.split(": ")[0].split(". ")[0].rstrip(".")
    return f"unreachable ({first[:150]})"
