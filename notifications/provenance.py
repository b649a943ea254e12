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

from .expansion import Recipient
from .recipient_trace import Why

PATHS_KEPT = 5
_WHY = itemgetter(3)  # Recipient.why, read without a Python-level call per recipient
_RULE = itemgetter(0)  # the rule code of a why


def record(recipients: Iterable[Recipient]) -> dict:
    """The record of one message's recipients (each carries its `why`). Counted by C-level
    Counters: a 100,000-member fan-out makes a thousand of these."""
    whys = list(map(_WHY, recipients))
    return summarise(Counter(whys), Counter(map(_RULE, whys)))


def to_cc_record(to: list[str], cc: list[str]) -> dict:
    """The record of the store's To:/CC: message."""
    counts = Counter({("to", ()): len(to), ("cc", ()): len(cc)})
    return summarise(counts, Counter({"to": len(to), "cc": len(cc)}))


def summarise(counts: Counter[Why], rules: Counter[str]) -> dict:
    """Recipients per rule, the most common paths with their counts, and "more" for the rest."""
    kept = [(why, n) for why, n in counts.most_common(PATHS_KEPT) if n]
    more = rules.total() - sum(n for _, n in kept)
    summary = {
        "rules": {rule: n for rule, n in rules.items() if n},
        "paths": [[rule, list(path), n] for (rule, path), n in kept],
    }
    if more:
        summary["more"] = more
    return summary
