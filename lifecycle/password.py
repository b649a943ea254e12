"""The password-expiry group job: recompute the store's password-expiry Smart Group, then warn
its members.

Members are the users whose password has not expired yet and expires on or before the store's
today + N days (`PasswordExpiryGroup.days`). Users who changed their password (a later expiry) or
whose password has expired leave the group; the membership changes go through
`directory.changes` (route "lifecycle"), so they are in the history and their change
notifications follow the Recipients section. Each run is a membership update: when the group's
"send warnings" option is on, every member receives a warning with the store's GroupID Portal URL,
at most once per store day (a rerun the same day sends none).

The store's To:/CC: receive every notification of the store, but not thousands of copies of
personal warnings: the run's last phase sends them one digest of the warnings sent that day and
not yet listed (`digest`). A run killed before its digest leaves the warnings unlisted, so the
rerun lists them; a listed warning is never listed again.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from directory import changes
from directory.changes import ChangeError
from directory.models import DirectoryObject, GroupMembership
from notifications.notify import Warned, send_password_digest, send_password_warning

from . import days
from .claims import is_member
from .models import ENTRA_RULE, PasswordExpiryGroup, PasswordExpiryMember
from .runs import Phase, Run


def plan(run: Run) -> list[Phase]:
    config = PasswordExpiryGroup.objects.select_related("group").filter(store=run.store).first()
    if config is None:
        return []
    if not run.store.supports_password_expiry:
        run.skip(ENTRA_RULE)
        return []
    should = set(expiring_users(run, config.days))
    current = set(
        GroupMembership.objects.filter(group=config.group).values_list("member_id", flat=True)
    )
    phases: list[Phase] = [
        (sorted(current - should), lambda r, pk: leave(r, config, pk)),
        (sorted(should - current), lambda r, pk: join(r, config, pk)),
    ]
    if config.send_warnings and run.settings is not None:
        _add_markers(config, should & current)
        phases.append((sorted(should), lambda r, pk: warn(r, config, pk)))
        phases.append(([config.pk], lambda r, _pk: digest(r, config)))
    return phases


def _add_markers(config: PasswordExpiryGroup, user_ids: set[int]) -> None:
    """Warning markers for members the job did not add itself (in the group already)."""
    PasswordExpiryMember.objects.bulk_create(
        [PasswordExpiryMember(config=config, user_id=pk) for pk in sorted(user_ids)],
        ignore_conflicts=True,
    )


def expiring_users(run: Run, within_days: int):
    """Ids of the users whose password expires after now and on or before today + N days."""
    horizon = days.day_start(run.store, run.today + timedelta(days=within_days + 1))
    return DirectoryObject.objects.filter(
        store=run.store,
        kind=DirectoryObject.Kind.USER,
        password_expires__gt=run.now,
        password_expires__lt=horizon,
    ).values_list("pk", flat=True)


# Each transaction below starts with its write (the membership change or the marker update), so
# concurrent runs queue on the write lock instead of upgrading a read (SQLite would refuse).


def join(run: Run, config: PasswordExpiryGroup, pk: int) -> None:
    user = DirectoryObject.objects.get(pk=pk)
    try:
        with transaction.atomic():
            changes.add_member(config.group, user, run.actor)
            PasswordExpiryMember.objects.get_or_create(config=config, user=user)
    except ChangeError:  # another run added the user first
        run.counts["unchanged"] += 1
        return
    run.counts["applied"] += 1


def leave(run: Run, config: PasswordExpiryGroup, pk: int) -> None:
    member = DirectoryObject.objects.get(pk=pk)
    try:
        with transaction.atomic():
            changes.remove_member(config.group, member, run.actor)
            PasswordExpiryMember.objects.filter(config=config, user=member).delete()
    except ChangeError:  # another run removed it first
        run.counts["unchanged"] += 1
        return
    run.counts["applied"] += 1


@transaction.atomic
def warn(run: Run, config: PasswordExpiryGroup, pk: int) -> None:
    """One warning per member and store day: the marker update is the claim. A member who got
    no warning (left the group meanwhile, no address) is marked as listed: the digest names
    only the members actually warned."""
    marker = PasswordExpiryMember.objects.filter(config=config, user_id=pk)
    if not marker.exclude(warned_on=run.today).update(warned_on=run.today):
        return
    user = DirectoryObject.objects.get(pk=pk)
    sent = 0
    if is_member(config.group_id, pk):
        expires_on = days.today(run.store, user.password_expires)
        sent = send_password_warning(
            run.store, run.settings, user, expires_on, (expires_on - run.today).days
        )
    if not sent:
        marker.update(digested_on=run.today)
    run.counts["reminders"] += 1 if sent else 0
    run.counts["messages"] += sent


def digest(run: Run, config: PasswordExpiryGroup) -> None:
    """One digest of today's warnings not listed yet, to the store's To:/CC:.

    Listing and marking happen in one transaction (the caller's): a crash lists nothing and the
    rerun lists everything warned today; the marker update is the claim, so two runs never list
    the same warning."""
    markers = PasswordExpiryMember.objects.filter(config=config, warned_on=run.today).exclude(
        digested_on=run.today
    )
    ids = list(markers.select_for_update().values_list("pk", flat=True))
    if not ids or not PasswordExpiryMember.objects.filter(pk__in=ids).update(digested_on=run.today):
        return
    users = DirectoryObject.objects.filter(
        pk__in=PasswordExpiryMember.objects.filter(pk__in=ids).values("user_id")
    ).order_by("name", "pk")
    warned = [_warned(run, user) for user in users]
    run.counts["messages"] += send_password_digest(run.store, run.settings, warned)


def _warned(run: Run, user: DirectoryObject) -> Warned:
    expires_on = days.today(run.store, user.password_expires)
    return Warned(user.name, user.email, expires_on, (expires_on - run.today).days)
