"""``/metrics``: the outbox per store in Prometheus' format, behind a bearer token."""

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import NotificationSettings, OutgoingMessage, SendLane
from tests.support.outbox import make_row

Status = OutgoingMessage.Status
TOKEN = "metrics-token-0123456789abcdef"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
SECRETS = ("contoso-smtp-password", "contoso-client-secret", "fabrikam-oauth-password")


@pytest.fixture(autouse=True)
def metrics_on(settings):
    settings.DIRMGR_METRICS_TOKEN = TOKEN


@pytest.fixture
def outbox(contoso, fabrikam):
    """Contoso: 2 queued (one 30 minutes old), 1 retrying later, 1 held, 3 sent, 1 dead.
    Fabrikam: nothing. Both stores hold secrets that must never appear in a scrape."""
    mail = NotificationSettings.objects.create(
        store=contoso,
        smtp_host="smtp.contoso.test",
        from_email="directory@contoso.test",
        smtp_password=SECRETS[0],
        client_secret=SECRETS[1],
    )
    NotificationSettings.objects.create(
        store=fabrikam, smtp_host="smtp.fabrikam.test", oauth_password=SECRETS[2]
    )
    later = timezone.now() + timedelta(minutes=10)
    make_row(mail, "Private subject", minutes_ago=30)
    make_row(mail, "Private subject")
    make_row(mail, "Private subject", status=Status.RETRYING, next_attempt_at=later)
    make_row(mail, "Private subject", status=Status.HELD)
    for _ in range(3):
        make_row(mail, "Private subject", status=Status.SENT, minutes_ago=60)
    make_row(mail, "Private subject", status=Status.DEAD, minutes_ago=90)
    return mail


def scrape(client: Client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def store(store, **extra) -> tuple:
    return tuple(sorted({"store_id": str(store.pk), "store": store.name, **extra}.items()))


def test_it_counts_each_stores_messages_by_status(outbox, contoso, fabrikam):
    found = scrape(Client(), **BEARER)
    expected = {"queued": 2, "sending": 0, "retrying": 1, "held": 1, "sent": 3, "dead": 1}
    for status, count in expected.items():
        assert found[("dirmgr_outbox_messages", store(contoso, status=status))] == count
        assert found[("dirmgr_outbox_messages", store(fabrikam, status=status))] == 0


def test_it_reports_queue_depth_deferred_and_the_oldest_waiting_message(outbox, contoso, fabrikam):
    found = scrape(Client(), **BEARER)
    assert found[("dirmgr_outbox_queue_depth", store(contoso))] == 4  # queued, retrying, held
    assert found[("dirmgr_outbox_deferred_messages", store(contoso))] == 1
    oldest = found[("dirmgr_outbox_oldest_waiting_age_seconds", store(contoso))]
    assert 30 * 60 <= oldest < 40 * 60  # the 30-minute-old queued row, not the sent ones
    assert found[("dirmgr_outbox_queue_depth", store(fabrikam))] == 0
    assert found[("dirmgr_outbox_oldest_waiting_age_seconds", store(fabrikam))] == 0


def test_a_scrape_holds_no_secret_and_no_message_content(outbox):
    text = Client().get("/metrics", **BEARER).content.decode()
    for secret in (*SECRETS, TOKEN, "Private subject", "directory@contoso.test"):
        assert secret not in text


def test_it_is_absent_while_no_token_is_set(settings, outbox, root):
    settings.DIRMGR_METRICS_TOKEN = ""
    assert Client().get("/metrics", **BEARER).status_code == 404
    superuser = Client()
    superuser.force_login(root)
    assert superuser.get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_a_wrong_or_missing_token_is_refused(outbox, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="dirmgr metrics"'
    assert b"dirmgr_outbox" not in response.content


def test_a_superusers_session_may_look_and_a_store_admin_may_not(outbox, root, alice_client):
    assert alice_client.get("/metrics").status_code == 401
    superuser = Client()
    superuser.force_login(root)
    assert ("dirmgr_outbox_queue_depth", store(outbox.store)) in scrape(superuser)


def test_only_get_is_answered(outbox):
    assert Client().post("/metrics", **BEARER).status_code == 405


def test_a_held_lane_is_scraped_with_its_state(outbox, contoso):
    SendLane.objects.create(
        store=contoso,
        held_at=timezone.now(),
        held_reason="authentication refused",
        held_reply="535",
    )
    found = scrape(Client(), **BEARER)
    assert found[("dirmgr_lane_state", store(contoso, state="held"))] == 1


def test_prometheus_scrapes_it_over_http(live_server, transactional_db, contoso):
    NotificationSettings.objects.create(store=contoso, smtp_host="smtp.contoso.test")
    request = urllib.request.Request(
        f"{live_server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        found = samples(response.read().decode())
    assert found[("dirmgr_outbox_queue_depth", store(contoso))] == 0
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{live_server.url}/metrics", timeout=10)
    assert refused.value.code == 401
