"""The Outbox chart: sent / retried / failed per store day, one query, drawn as SVG."""

from datetime import UTC, date, datetime

from notifications.models import OutgoingMessage
from notifications.views import outbox_chart

Status = OutgoingMessage.Status


def message(store, created, status, attempts=1):
    row = OutgoingMessage.objects.create(
        store=store,
        from_email="n@contoso.test",
        to="a@contoso.test",
        subject="s",
        body_text="b",
        status=status,
        attempts=attempts,
    )
    OutgoingMessage.objects.filter(pk=row.pk).update(created=created)


def test_it_counts_per_day_in_the_stores_time_zone(contoso, django_assert_num_queries):
    contoso.time_zone = "America/New_York"
    contoso.save()
    # 02:00 UTC on the 20th is still the 19th in New York.
    message(contoso, datetime(2026, 11, 20, 2, 0, tzinfo=UTC), Status.SENT)
    message(contoso, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), Status.SENT, attempts=3)
    message(contoso, datetime(2026, 11, 20, 16, 0, tzinfo=UTC), Status.DEAD, attempts=8)
    message(contoso, datetime(2026, 11, 20, 17, 0, tzinfo=UTC), Status.RETRYING, 2)
    with django_assert_num_queries(1):
        days = dict(outbox_chart.daily_counts(contoso, days=3, today=date(2026, 11, 20)))
    assert days[date(2026, 11, 19)] == {"sent": 1, "retried": 0, "dead": 0}
    assert days[date(2026, 11, 20)] == {"sent": 0, "retried": 2, "dead": 1}
    assert days[date(2026, 11, 18)] == {"sent": 0, "retried": 0, "dead": 0}


def test_it_draws_bars_scaled_to_the_busiest_day(contoso):
    for _ in range(4):
        message(contoso, datetime(2026, 11, 20, 12, tzinfo=UTC), Status.SENT)
    message(contoso, datetime(2026, 11, 19, 12, tzinfo=UTC), Status.DEAD)
    chart = outbox_chart.chart(contoso, days=2, today=date(2026, 11, 20))
    heights = {bar.title: bar.height for bar in chart.bars}
    assert heights == {"Nov 19: 1 failed": 27.5, "Nov 20: 4 sent": 110.0}


def test_it_shows_the_chart_on_the_outbox_page(alice_client, contoso):
    message(contoso, datetime.now(UTC), Status.DEAD)
    page = alice_client.get(f"/identity-stores/{contoso.pk}/outbox/").content.decode()
    assert "<svg" in page and "1 failed" in page
