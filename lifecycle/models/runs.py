"""The record of every life-cycle job run: what it applied, sent and skipped, and how it ended.

Shown on the store's life-cycle page and read by the next run; a run left "running" by a dead
process is how an interrupted run is recognised.
"""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One run of a life-cycle job: what it applied, sent and skipped. A run still "running"
    after its process died shows as interrupted; the next run finishes its work."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="+"
    )
    job = models.CharField(max_length=32)
    today = models.DateField()
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    skipped = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        indexes = [models.Index(fields=["store", "job", "started"], name="lc_run_store_job")]

    def __str__(self) -> str:
        return f"{self.job} of {self.store} at {self.started:%Y-%m-%d %H:%M}"
