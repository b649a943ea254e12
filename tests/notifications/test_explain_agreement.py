"""One engine: for every scenario of test_recipients, the explanation of the recorded event
names exactly the people the real send wrote into the outbox, by the same rules.

Each scenario runs as written (its own assertions included), then the store's last event is
explained with the store's settings as they are now, and compared with the outbox rows: To:,
CC:, the Bcc addresses, and the recipients per rule kept on the rows.
"""

import inspect
from collections import Counter

import pytest

from directory.models import DirectoryEvent
from notifications.explain import RULES, explain_event
from notifications.models import NotificationSettings, OutgoingMessage

from . import test_recipients

# The scenarios' own fixtures, visible to getfixturevalue from this module.
d, admin = test_recipients.d, test_recipients.admin

SCENARIOS = {
    name: test
    for name, test in vars(test_recipients).items()
    if name.startswith("test_it_") and callable(test)
}


def run_scenario(request, test):
    """Call the scenario with its fixtures, as pytest would."""
    names = inspect.signature(test).parameters
    test(**{name: request.getfixturevalue(name) for name in names})
    return request.getfixturevalue("contoso")


def sent(store):
    """(To, CC, Bcc addresses, recipients per rule) over the store's outbox."""
    to, cc, bcc, rules = [], [], set(), Counter()
    for message in OutgoingMessage.objects.filter(store=store):
        to += [a for a in message.to.split("; ") if a]
        cc += [a for a in message.cc.split("; ") if a]
        bcc |= {a for a in message.bcc.split("; ") if a}
        rules.update(message.why.get("rules", {}))
    return to, cc, bcc, rules


def explained(store):
    event = DirectoryEvent.objects.filter(store=store).order_by("-id").first()
    settings = NotificationSettings.objects.filter(store=store).first()
    found = explain_event(event, settings, limit=10_000)
    rules = Counter(line.rule for line in found.recipients)
    return found, rules


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_explain_and_send_agree(db, request, name):
    store = run_scenario(request, SCENARIOS[name])
    to, cc, bcc, sent_rules = sent(store)
    found, explained_rules = explained(store)

    assert found.addresses == bcc
    if to or cc:  # explain lists To:/CC: even for an event nobody else is told of
        assert (found.to, found.cc) == (to, cc)
    bcc_rules = {RULES[rule]: n for rule, n in sent_rules.items() if rule not in ("to", "cc")}
    assert explained_rules == Counter(bcc_rules)
    assert found.recipient_count == len(bcc)


def test_every_scenario_is_covered():
    assert len(SCENARIOS) >= 40
