"""What the template editor previews a draft with: sample data, or one of the store's recent real
events or notices of the template's kind, and what each kind of template is given.

Notices keep the plain values they were rendered from on their outbox row (`context`), so a
draft of a password-expiry warning can be previewed with a warning the store really sent;
change notifications are previewed with the store's recent directory events.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from directory.models import DirectoryEvent, EventKind
from identitystores.models import IdentityStore

from ..models import NOTICE_KINDS, OutgoingMessage
from ..models.templates import ANY_CHANGE
from ..stock_templates import NOTICE_KIND, load_templates
from ..template_context import event_context, recipient_context
from ..templating import sample_context

RECENT = 10  # real events or notices offered for Preview
SAMPLE = "sample"
# The outbox kind of the rows each notice template writes (the test message writes none).
OUTBOX_KIND = {
    "lifecycle-notice": "lifecycle",
    "password-warning": "password-expiry",
    "password-digest": "password-digest",
}
FAMILY = {kind: family for family, kind in NOTICE_KIND.items()}

CHANGE_PLACEHOLDERS = [
    ("{{ object.name }}, {{ object.email }}, {{ object.kind }}", "the object changed"),
    ("{{ member.name }}", "the member or owner/manager added or removed, if any"),
    ("{{ requester.name }}, {{ requester.email }}", "who made the change"),
    ("{{ recipient.name }}, {{ recipient.email }}", "the recipient (empty in shared messages)"),
    ("{{ store.name }}", "the identity store"),
    ("{{ event.action }}, {{ event.when }}, {{ event.route }}", "what happened, when, how"),
    (
        "{% for c in changes %}{{ c.field }}: {{ c.old }} → {{ c.new }}{% endfor %}",
        "old → new values",
    ),
]
_COMMON = [
    ("{{ store.name }}", "the identity store"),
    ("{{ recipient.name }}, {{ recipient.email }}", "the recipient (empty in shared messages)"),
]
NOTICE_PLACEHOLDERS = {
    "lifecycle-notice": [
        ("{{ notice.subject }}, {{ notice.headline }}", "what the schedule did, in a line"),
        (
            "{% for d in notice.details %}{{ d.label }}: {{ d.value }}{% endfor %}",
            "group, period, dates …",
        ),
        *_COMMON,
    ],
    "password-warning": [
        ("{{ expires_on }}, {{ days_left }}", "when the password expires, days left"),
        ("{{ portal_url }}", "the store's GroupID Portal URL (empty when none is chosen)"),
        *_COMMON,
    ],
    "password-digest": [
        (
            "{% for w in warned %}{{ w.name }} {{ w.email }} {{ w.expires_on }} "
            "{{ w.days_left }}{% endfor %}",
            "each member warned",
        ),
        ("{{ count }}, {{ part }}, {{ parts }}", "members in this message; part n of m (0: one)"),
        ("{{ portal_url }}", "the portal link the warnings carry"),
        *_COMMON,
    ],
    "test-message": _COMMON,
}


def placeholders(kind: str) -> list[tuple[str, str]]:
    return NOTICE_PLACEHOLDERS.get(kind, CHANGE_PLACEHOLDERS)


def default_sources(kind: str) -> dict[str, str]:
    """A new override starts from the shipped default text of its kind."""
    return {part: tpl.source for part, tpl in load_templates(FAMILY.get(kind, "change")).items()}


def choices(store: IdentityStore, kind: str) -> list[tuple[str, str]]:
    """Sample data, then the store's most recent real notices or events of `kind`."""
    found = [(SAMPLE, "Sample data")]
    if kind in OUTBOX_KIND:
        found += [
            (f"message:{row.pk}", _label(store, row.created, row.subject))
            for row in _rows(store, kind)
        ]
    elif kind not in NOTICE_KINDS:
        found += [
            (f"event:{e.pk}", _label(store, e.created, f"{e.get_kind_display()}: {e.object_name}"))
            for e in _events(store, kind)
        ]
    return found


def context_for(store: IdentityStore, kind: str, choice: str) -> dict | None:
    """The template context of `choice`; None when it is not one the store offers for `kind`."""
    if choice == SAMPLE:
        return sample_context(kind)
    if choice not in dict(choices(store, kind)):
        return None
    source, pk = choice.split(":")
    if source == "message":
        return OutgoingMessage.objects.get(pk=pk).context
    event = DirectoryEvent.objects.select_related("store", "actor", "object").get(pk=pk)
    return {**event_context(event), "recipient": recipient_context(None)}


def _rows(store: IdentityStore, kind: str) -> list[OutgoingMessage]:
    recent = OutgoingMessage.objects.filter(store=store, kind=OUTBOX_KIND[kind]).order_by(
        "-created", "-id"
    )
    return [
        row
        for row in recent.only("pk", "created", "subject", "context")[: RECENT * 3]
        if row.context
    ][:RECENT]


def _events(store: IdentityStore, kind: str) -> list[DirectoryEvent]:
    events = DirectoryEvent.objects.filter(store=store)
    if kind != ANY_CHANGE and kind in EventKind.values:
        events = events.filter(kind=kind)
    return list(events.order_by("-created", "-id")[:RECENT])


def _label(store: IdentityStore, when, text: str) -> str:
    local = when.astimezone(ZoneInfo(store.time_zone)).strftime("%Y-%m-%d %H:%M")
    return f"{local} · {text[:80]}"
