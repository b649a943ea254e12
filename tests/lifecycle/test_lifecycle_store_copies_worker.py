"""To:/CC: of a store receive every notification it generates, over the whole path: a real Celery
worker over Redis runs the Membership Life Cycle and password-expiry jobs and delivers their mail
to the aiosmtpd server. A membership that ends reaches To:/CC: as one message (the life-cycle
notice, not the change notification too); the warnings reach them as one digest."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import GroupMembership
from lifecycle.models import JobRun, PasswordExpiryGroup, State, TemporaryMembership
from lifecycle.tasks import run_scheduled_job
from notifications.models import OutgoingMessage

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
DESK, AUDIT = "desk@contoso.test", "audit@contoso.test"


def wait_until(condition, worker, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out\n{worker.log()[-3000:]}")


@pytest.fixture
def store_mail(contoso_mail, portal, smtp_server):
    server = smtp_server("plain")
    contoso_mail.port = server.port
    contoso_mail.to_recipients, contoso_mail.cc_recipients = DESK, AUDIT
    contoso_mail.ml_on_leave = True
    contoso_mail.notify_removed_member = True
    contoso_mail.portal = portal
    contoso_mail.save()
    return server


def ending_membership(store, make_object):
    """Ann's temporary membership of Club ends today: the job removes her."""
    club = make_object("group", "Club", security_type="public")
    ann = make_object("user", "Ann", "ann@contoso.test")
    GroupMembership.objects.create(group=club, member=ann)
    today = timezone.now().date()
    TemporaryMembership.objects.create(
        store=store, group=club, user=ann, state=State.ACTIVE, start_applied=True,
        start_date=today - timedelta(days=7), end_date=today,
    )  # fmt: skip
    return club


def expiring_users(store, make_object) -> None:
    smart = make_object("group", "Password expiry", security_type="private")
    PasswordExpiryGroup.objects.create(store=store, group=smart, days=5)
    soon = timezone.now() + timedelta(days=2, hours=1)
    for name in ("Ben", "Cal"):
        make_object("user", name, f"{name.lower()}@contoso.test", password_expires=soon)


def test_to_and_cc_get_one_message_per_step_and_one_digest_per_run(
    store_mail, contoso, make_object, celery_worker
):
    club = ending_membership(contoso, make_object)
    expiring_users(contoso, make_object)
    worker = celery_worker("mail,celery")

    run_scheduled_job.delay(contoso.pk, "membership")
    run_scheduled_job.delay(contoso.pk, "password-expiry")
    wait_until(lambda: JobRun.objects.filter(status="finished").count() == 2, worker)
    queued = OutgoingMessage.objects.count()
    wait_until(lambda: OutgoingMessage.objects.filter(status="sent").count() == queued, worker)
    received = store_mail.wait_for(queued)

    assert not GroupMembership.objects.filter(group=club, member__name="Ann").exists()
    subjects = {
        address: sorted(m.message["Subject"] for m in received if address in m.rcpt_tos)
        for address in (DESK, AUDIT, "ann@contoso.test", "ben@contoso.test")
    }
    # To/CC: the removal once (as the notice), each password-group change, one digest.
    store_copy = [
        "[Contoso AD] Ann was removed from Club",
        "[Contoso AD] Member added: Password expiry",
        "[Contoso AD] Member added: Password expiry",
        "[Contoso AD] Password expiry warnings sent to 2 members",
    ]
    assert subjects[DESK] == subjects[AUDIT] == store_copy
    # Ann: the change notification (Removed group member box) and the notice.
    assert subjects["ann@contoso.test"] == [
        "[Contoso AD] Ann was removed from Club",
        "[Contoso AD] Member removed: Club",
    ]
    expires_on = (timezone.now() + timedelta(days=2, hours=1)).date().isoformat()
    assert subjects["ben@contoso.test"] == [f"[Contoso AD] Your password expires on {expires_on}"]
    assert Counter(r for m in received for r in m.rcpt_tos) == {
        DESK: 4, AUDIT: 4, "ann@contoso.test": 2, "ben@contoso.test": 1, "cal@contoso.test": 1,
    }  # fmt: skip
    digest = next(m.message for m in received if "warnings sent" in m.message["Subject"])
    text = digest.get_body(("plain",)).get_content()
    assert f"Ben <ben@contoso.test>: expires on {expires_on} (in 2 days)" in text
    assert f"Cal <cal@contoso.test>: expires on {expires_on} (in 2 days)" in text
    assert "https://portal.contoso.test/" in text
