"""The password-expiry group job: membership recomputed from expiry dates, one warning per member
and store day with the GroupID Portal URL, and no such group in Microsoft Entra ID stores."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from directory.models import DirectoryEvent, EventKind, GroupMembership
from lifecycle.jobs import PASSWORD_EXPIRY, run_job
from lifecycle.models import ENTRA_RULE, PasswordExpiryGroup
from notifications.models import OutgoingMessage
from tests.support.lifecycle_helpers import StopAfter, at, messages, recipients

NOW = at(2026, 3, 10, 7)


@pytest.fixture
def mail(contoso, contoso_mail, portal):
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    contoso_mail.portal = portal
    contoso_mail.save()
    return contoso_mail


@pytest.fixture
def group(mail, make_object):
    smart = make_object("group", "Password expiry", security_type="private")
    PasswordExpiryGroup.objects.create(store=mail.store, group=smart, days=5)
    return smart


def user(make_object, name, expires):
    return make_object("user", name, f"{name.lower()}@contoso.test", password_expires=expires)


def members(group):
    return sorted(
        GroupMembership.objects.filter(group=group).values_list("member__name", flat=True)
    )


def run(store, when=NOW):
    return run_job(store, PASSWORD_EXPIRY, now=when)


def test_it_puts_users_whose_password_expires_within_n_days_in_the_group(group, make_object):
    user(make_object, "Ann", at(2026, 3, 12, 9))  # in 2 days
    user(make_object, "Ben", at(2026, 3, 15, 23, 59))  # the last day of the 5
    user(make_object, "Cal", at(2026, 3, 16, 0, 0))  # day 6
    user(make_object, "Dee", at(2026, 3, 10, 6))  # expired an hour ago
    user(make_object, "Eve", None)  # never expires
    record = run(group.store)
    assert members(group) == ["Ann", "Ben"]
    assert record.counts["applied"] == 2


def test_it_warns_each_member_with_the_portal_url_once_per_day(group, make_object):
    user(make_object, "Ann", at(2026, 3, 12, 9))
    user(make_object, "Ben", at(2026, 3, 14, 9))
    run(group.store)
    run(group.store, NOW + timedelta(hours=3))
    assert recipients(group.store, "password-expiry") == [
        ["ann@contoso.test"],
        ["ben@contoso.test"],
    ]
    first = messages(group.store, "password-expiry")[0]
    assert first.subject == "[Contoso AD] Your password expires on 2026-03-12"
    assert "in 2 days" in first.body_text
    assert "https://portal.contoso.test/" in first.body_text
    assert 'href="https://portal.contoso.test/"' in first.body_html

    run(group.store, at(2026, 3, 11, 7))  # the next membership update: warned again
    assert len(messages(group.store, "password-expiry")) == 4


def test_it_removes_users_who_changed_their_password_and_stops_warning_them(group, make_object):
    ann = user(make_object, "Ann", at(2026, 3, 12, 9))
    user(make_object, "Ben", at(2026, 3, 14, 9))
    run(group.store)
    ann.password_expires = at(2026, 6, 12, 9)  # changed: expires in three months
    ann.save()
    run(group.store, at(2026, 3, 11, 7))
    assert members(group) == ["Ben"]
    assert recipients(group.store, "password-expiry") == [
        ["ann@contoso.test"],
        ["ben@contoso.test"],
        ["ben@contoso.test"],
    ]
    events = DirectoryEvent.objects.filter(route="lifecycle").order_by("id")
    assert [(e.kind, e.member_name) for e in events] == [
        (EventKind.MEMBER_ADDED, "Ann"),
        (EventKind.MEMBER_ADDED, "Ben"),
        (EventKind.MEMBER_REMOVED, "Ann"),
    ]


def test_it_updates_membership_without_warnings_when_they_are_off(group, make_object):
    PasswordExpiryGroup.objects.filter(group=group).update(send_warnings=False)
    user(make_object, "Ann", at(2026, 3, 12, 9))
    run(group.store)
    assert members(group) == ["Ann"]
    assert OutgoingMessage.objects.count() == 0


def test_it_warns_without_a_link_when_no_portal_is_chosen(group, mail, make_object):
    mail.portal = None
    mail.save()
    user(make_object, "Ann", at(2026, 3, 12, 9))
    run(group.store)
    body = messages(group.store, "password-expiry")[0].body_text
    assert "https://" not in body
    assert "ask your help desk" in body


def test_it_counts_days_in_the_stores_time_zone_across_the_dst_change(group, make_object):
    # 5 days from 2026-03-26 in Berlin end with the 31st, after the 23-hour day of the 29th.
    user(make_object, "Ann", datetime(2026, 3, 31, 21, 59, tzinfo=UTC))  # 23:59 CEST on the 31st
    user(make_object, "Ben", datetime(2026, 3, 31, 22, 0, tzinfo=UTC))  # 00:00 CEST on 1 April
    run(group.store, at(2026, 3, 26, 7))
    assert members(group) == ["Ann"]


def test_it_refuses_a_password_expiry_group_in_an_entra_id_store(fabrikam, make_object):
    smart = make_object("group", "Expiring", store=fabrikam, security_type="private")
    config = PasswordExpiryGroup(store=fabrikam, group=smart, days=5)
    with pytest.raises(ValidationError) as info:
        config.full_clean()
    assert info.value.messages == [ENTRA_RULE]
    with pytest.raises(ValidationError):
        config.save()
    assert not PasswordExpiryGroup.objects.exists()


# --- The digest to the store's To:/CC: ---------------------------------------------------------


@pytest.fixture
def desk(mail):
    mail.to_recipients, mail.cc_recipients = "desk@contoso.test", "audit@contoso.test"
    mail.save()
    return mail


def digests(store) -> list[OutgoingMessage]:
    return messages(store, "password-digest")


def test_it_sends_to_and_cc_one_digest_of_the_runs_warnings(group, desk, make_object):
    user(make_object, "Ann", at(2026, 3, 12, 9))
    user(make_object, "Ben", at(2026, 3, 15, 9))
    record = run(group.store)
    assert recipients(group.store, "password-expiry") == [
        ["ann@contoso.test"],
        ["ben@contoso.test"],
    ]
    [digest] = digests(group.store)
    assert (digest.to, digest.cc, digest.bcc) == ("desk@contoso.test", "audit@contoso.test", "")
    assert digest.subject == "[Contoso AD] Password expiry warnings sent to 2 members"
    assert "Ann <ann@contoso.test>: expires on 2026-03-12 (in 2 days)" in digest.body_text
    assert "Ben <ben@contoso.test>: expires on 2026-03-15 (in 5 days)" in digest.body_text
    assert "https://portal.contoso.test/" in digest.body_text
    assert '<td style="padding: 2px 8px;">ben@contoso.test</td>' in digest.body_html
    assert record.counts["messages"] == 3


def test_it_lists_each_warning_once_and_sends_no_digest_when_no_one_was_warned(
    group, desk, make_object
):
    user(make_object, "Ann", at(2026, 3, 12, 9))
    run(group.store)
    run(group.store, NOW + timedelta(hours=3))  # same store day: no warning, no digest
    assert len(digests(group.store)) == 1
    run(group.store, at(2026, 3, 11, 7))  # the next update warns again: a new digest
    assert len(digests(group.store)) == 2
    assert "expires on 2026-03-12 (tomorrow)" in digests(group.store)[1].body_text


def test_it_leaves_out_members_who_got_no_warning(group, desk, make_object):
    user(make_object, "Ann", at(2026, 3, 12, 9))
    make_object("user", "Nomail", password_expires=at(2026, 3, 12, 9))
    run(group.store)
    assert members(group) == ["Ann", "Nomail"]
    [digest] = digests(group.store)
    assert digest.subject == "[Contoso AD] Password expiry warnings sent to 1 member"
    assert "Nomail" not in digest.body_text


def test_a_run_killed_before_its_digest_lists_every_warning_on_the_rerun(
    group, desk, make_object, settings
):
    settings.LIFECYCLE_CHUNK = 1  # the kill comes after the first warning's commit
    for name, day in (("Ann", 12), ("Ben", 13), ("Cal", 14)):
        user(make_object, name, at(2026, 3, day, 9))
    # 3 joins, then the warnings: killed after the first warning.
    with pytest.raises(KeyboardInterrupt):
        run_job(group.store, PASSWORD_EXPIRY, now=NOW, progress=StopAfter(4))
    assert len(messages(group.store, "password-expiry")) == 1
    assert digests(group.store) == []

    run(group.store, NOW + timedelta(hours=1))
    assert len(messages(group.store, "password-expiry")) == 3
    [digest] = digests(group.store)
    assert all(name in digest.body_text for name in ("Ann", "Ben", "Cal"))


def test_it_splits_a_long_digest_into_parts(group, desk, make_object, monkeypatch):
    monkeypatch.setattr("notifications.password_notices.DIGEST_LINES", 2)
    for name in ("Ann", "Ben", "Cal"):
        user(make_object, name, at(2026, 3, 12, 9))
    run(group.store)
    assert [d.subject for d in digests(group.store)] == [
        "[Contoso AD] Password expiry warnings sent to 2 members (part 1 of 2)",
        "[Contoso AD] Password expiry warnings sent to 1 member (part 2 of 2)",
    ]
