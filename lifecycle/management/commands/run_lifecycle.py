"""Run a life-cycle job for one store now, with a progress bar and a summary line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from identitystores.models import IdentityStore
from lifecycle.jobs import JOBS, run_job, summary


class Bar:
    """The job's progress shown as a tqdm bar on stderr."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.bar = tqdm(desc=label, unit="item", disable=not enabled)

    def start(self, total: int) -> None:
        self.bar.reset(total=total)

    def advance(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = "Run a life-cycle job (membership, managedby, password-expiry) for one store now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", type=int, required=True, help="identity store id")
        parser.add_argument("--job", required=True, choices=sorted(JOBS))
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, store: int, job: str, no_progress: bool, **options) -> None:
        target = IdentityStore.objects.filter(pk=store).first()
        if target is None:
            raise CommandError(f"No identity store with id {store}.")
        bar = Bar(f"{JOBS[job][0]} · {target.name}", enabled=not no_progress)
        try:
            record = run_job(target, job, progress=bar)
        finally:
            bar.close()
        self.stdout.write(summary(record))
        for text in record.skipped:
            self.stdout.write(f"skipped: {text}")
