"""A store whose delivery is failing is flagged on the store list, its Notifications page and
its Outbox; a store whose mail goes out is not, nor is one whose failures are old."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from notifications.models import OutgoingMessage
from tests.support.outbox import make_row

Status = OutgoingMessage.Status
FLAG = "Delivery is failing"


def pages(client, store) -> dict[str, str]:
    urls = {
        "list": reverse("identitystores:list"),
        "settings": reverse("notifications:settings", args=[store.pk]),
        "outbox": reverse("notifications:outbox", args=[store.pk]),
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_a_recent_failure_flags_the_store_everywhere(alice_client, contoso_mail):
    make_row(contoso_mail, "Lost", status=Status.DEAD, last_attempt_at=timezone.now())
    make_row(contoso_mail, "Stuck", status=Status.RETRYING, attempts=3)

    for name, page in pages(alice_client, contoso_mail.store).items():
        assert "Delivery is failing: 1 failed and 1 retried 3+ times in the last 24 hours." in (
            page
        ), name


def test_mail_that_goes_out_flags_nothing(alice_client, contoso_mail):
    make_row(contoso_mail, "Fine", status=Status.SENT)
    make_row(contoso_mail, "Second try", status=Status.RETRYING, attempts=1)

    for name, page in pages(alice_client, contoso_mail.store).items():
        assert FLAG not in page, name


def test_old_failures_flag_nothing(alice_client, contoso_mail):
    long_ago = timezone.now() - timedelta(hours=25)
    make_row(contoso_mail, "Old", status=Status.DEAD, minutes_ago=26 * 60, last_attempt_at=long_ago)

    assert FLAG not in pages(alice_client, contoso_mail.store)["list"]


def test_the_flag_is_per_store(client, root, contoso_mail, fabrikam):
    make_row(contoso_mail, "Lost", status=Status.DEAD, last_attempt_at=timezone.now())
    client.force_login(root)

    page = client.get(reverse("identitystores:list")).content.decode()

    contoso_row = page.split("Contoso AD</a>", 1)[1].split("</tr>", 1)[0]
    fabrikam_row = page.split("Fabrikam Entra</a>", 1)[1].split("</tr>", 1)[0]
    assert FLAG in contoso_row
    assert FLAG not in fabrikam_row
