"""The Schedules page's Recent runs update without a reload after Run now: a live poll gets
the runs section alone, with the run's latest state."""

from django.urls import reverse
from django.utils import timezone

from lifecycle.models import JobRun

LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "runs", "HTTP_X_LIVE_POLL": "1"}


def test_a_poll_gets_the_runs_with_their_latest_state(alice_client, contoso):
    url = reverse("lifecycle:schedules", args=[contoso.pk])
    assert 'id="runs"' in alice_client.get(url).content.decode()
    run = JobRun.objects.create(
        store=contoso, job="membership", today=timezone.localdate(), started=timezone.now()
    )

    running = alice_client.get(url, **LIVE).content.decode()
    run.status, run.finished, run.counts = JobRun.Status.FINISHED, timezone.now(), {"sent": 3}
    run.save()
    finished = alice_client.get(url, **LIVE).content.decode()

    assert running.strip().startswith('<section class="card" id="runs"')
    assert "Running or interrupted" in running
    assert "<html" not in running and "Run now" not in running
    assert "Finished" in finished and "sent 3" in finished


def test_another_stores_admin_gets_404_for_the_poll(client, bob, contoso):
    client.force_login(bob)

    response = client.get(reverse("lifecycle:schedules", args=[contoso.pk]), **LIVE)

    assert response.status_code == 404
