"""The compact record of why an outbox row's recipients were chosen, kept on the row (`why`).

A row may carry a hundred Bcc recipients of a fan-out to 100,000 people, so the record does not
list people: it counts recipients per rule code, and keeps the `PATHS_KEPT` most common
(rule, path of group ids) with their counts; "more" counts the recipients on the other paths.
Group names are looked up when the record is shown (`explain.row_why`), so a row stays small.

    {"rules": {"owners": 3}, "paths": [["owners", [], 1], ["owners", [12, 31], 2]], "more": 0}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import itemgetter

from .expansion import Recipient, Why

PATHS_KEPT = 5
_WHY = itemgetter(3)  # Recipient.why, read without a Python-level call per recipient


def record(recipients: Iterable[Recipient]) -> dict:
    """The record of one message's recipients (each carries its `why`)."""
    return summarise(Counter(map(_WHY, recipients)))


def to_cc_record(to: list[str], cc: list[str]) -> dict:
    """The record of the store's To:/CC: message."""
    return summarise(Counter({("to", ()): len(to), ("cc", ()): len(cc)}))


def summarise(counts: Counter[Why]) -> dict:
    rules: Counter[str] = Counter()
    for (rule, _), count in counts.items():
        rules[rule] += count
    kept = [(why, n) for why, n in counts.most_common(PATHS_KEPT) if n]
    more = sum(counts.values()) - sum(n for _, n in kept)
    summary = {
        "rules": {rule: n for rule, n in rules.items() if n},
        "paths": [[rule, list(path), n] for (rule, path), n in kept],
    }
    if more:
        summary["more"] = more
    return summary
