"""The three life-cycle jobs and the one entry point that runs them.

    run_job(store, "membership" | "managedby" | "password-expiry", now=..., progress=...)

`now` (an aware datetime) fixes the clock of the run, the store's time zone turns it into the
store's today. `progress` is told the number of due items and each item done (after its commit).
Each item is applied in its own transaction with its outbox rows, so a run killed half-way is
finished by the next run, and a second run applies and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from identitystores.models import IdentityStore

from . import managedby, membership, password
from .models import JobRun
from .runs import Phase, Progress, Run, execute, summary

MEMBERSHIP = "membership"
MANAGED_BY = "managedby"
PASSWORD_EXPIRY = "password-expiry"

JOBS: dict[str, tuple[str, Callable[[Run], list[Phase]]]] = {
    MEMBERSHIP: ("Membership Life Cycle", membership.plan),
    MANAGED_BY: ("Managed By Life Cycle", managedby.plan),
    PASSWORD_EXPIRY: ("Password expiry group", password.plan),
}

__all__ = ["JOBS", "MANAGED_BY", "MEMBERSHIP", "PASSWORD_EXPIRY", "label", "run_job", "summary"]


def label(job: str) -> str:
    return JOBS[job][0]


def run_job(
    store: IdentityStore,
    job: str,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> JobRun:
    """Run one job for one store; raises KeyError for an unknown job name."""
    _label, plan = JOBS[job]
    return execute(store, job, plan, now=now, progress=progress)
