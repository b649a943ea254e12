"""Who is notified of a directory event: the spec's Recipients section, rule by rule.

To:/CC: of the store receive everything; each ticked **Also Notify** box adds the objects its
function in `also_notify.py` picks. These modules decide *who*; `expansion.py` turns the picked
objects into addresses: groups expand to their members through nested groups (cycles are
harmless), only mail-enabled objects with an address receive mail, groups are never mailed at
their own address, and each address appears once (compared case-insensitively).

Every box reads the directory as it is *after* the change:
- a member just removed is not among "all members" of the modified group; it is told only by
  "Removed group member on removal" (that box exists for exactly that person);
- a member just added is among "all members", so "Object being modified" reaches it too;
- likewise owners and managers are the current ones: a replaced primary owner/manager is not told
  by the owner/manager boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from directory.models import DirectoryEvent

from .also_notify import Picked, also_notify
from .expansion import Recipient, expand
from .models import NotificationSettings
from .recipient_trace import Trace

# --- To: and CC: ----------------------------------------------------------------------------


def store_to_cc(settings: NotificationSettings) -> tuple[list[str], list[str]]:
    """To:/CC: receive every notification the store generates, whatever the route — life-cycle
    notices included (spec: "All email notifications generated for the identity store are sent
    to these recipients"). An address in both boxes is kept in To: only."""
    to = _unique(settings.to_list)
    cc = [a for a in _unique(settings.cc_list) if a.lower() not in {t.lower() for t in to}]
    return to, cc


# --- Resolution -------------------------------------------------------------------------------


@dataclass
class Resolution:
    """To/CC (from the settings) and the Bcc recipients, streamed from the database on demand.
    With a `trace`, whom the rules left out is collected into it as the recipients are read."""

    to: list[str]
    cc: list[str]
    store_id: int
    picked: Picked
    trace: Trace | None = None

    def bcc(self, *, details: bool = True) -> Iterator[Recipient]:
        """Every other recipient once, in no particular order, read from the database in chunks.
        Without `details` the members' names and languages are not read (cheaper)."""
        seen = {a.lower() for a in self.to + self.cc}
        trace = self.trace
        if trace is not None:
            trace.chosen_store_copies(self.to, self.cc)
        for recipient in self.picked.addresses:
            if recipient.address in seen:
                if trace is not None:
                    trace.already(None, recipient.name, recipient.address, recipient.why)
                continue
            seen.add(recipient.address)
            if trace is not None:
                trace.chosen(recipient.address, recipient.why)
            yield recipient
        yield from expand(
            self.store_id, self.picked.objects, exclude=seen, details=details, trace=self.trace
        )


def resolve(
    event: DirectoryEvent, settings: NotificationSettings, trace: Trace | None = None
) -> Resolution:
    """Who the event's mail goes to; pass a Trace to also learn whom the rules left out."""
    to, cc = store_to_cc(settings)
    return Resolution(to, cc, event.store_id, also_notify(event, settings, trace), trace)


def _unique(addresses: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out
