"""Which server replies are signals for the store's send lane rather than failures of a message.

A server that throttles (too many connections, too many messages a minute, too many recipients
in one message) is telling us to slow down: the message is fine and waits without using up an
attempt. A daily quota defers the store's mail to the next window. A refused sign-in holds the
store's mail until an admin fixes the credentials: every message would fail alike, and marking
them dead would mean that fixing the password resends nothing.
"""

from __future__ import annotations

import enum
import re

from ..transports import TransportError

# A reply code and its enhanced status code, anywhere in the text ("addr: 452 4.5.3 …" too).
_REPLY = re.compile(r"\b([245]\d\d)(?=[ -]|$)(?:[ -](\d\.\d{1,3}\.\d{1,3}))?")
_AUTH_CODES = ("5.7.139", "5.7.30", "5.7.3", "5.7.8")


class Signal(enum.Enum):
    CONNECTIONS = "connections"  # 432 4.3.2: one connection too many
    RATE = "rate"  # 421, 450/451 4.7.x: messages come too fast
    RECIPIENTS = "recipients"  # 452 too many recipients in one message
    QUOTA = "quota"  # 554 5.2.0 SubmissionQuotaExceeded, or 4xx quota words
    AUTH = "auth"  # 535, 5.7.139, 5.7.30, AADSTS: the server refused our credentials


THROTTLES = frozenset({Signal.CONNECTIONS, Signal.RATE, Signal.RECIPIENTS})


def classify(error: TransportError) -> Signal | None:
    """The lane signal in `error`, or None for an ordinary failure of this message."""
    if not error.reply:  # network trouble: nothing the server said
        return None
    text = f"{error.reply} {error.message}"
    if "AADSTS" in error.reply and error.permanent:
        return Signal.AUTH
    found = _REPLY.search(error.reply)
    if found is None:
        return None
    return reply_signal(int(found.group(1)), found.group(2) or "", text.lower())


def reply_signal(code: int, enhanced: str, text: str) -> Signal | None:
    """The signal of one SMTP reply: its code, enhanced code and (lower-case) words."""
    if code == 535 or (code >= 500 and enhanced in _AUTH_CODES and "auth" in text):
        return Signal.AUTH
    if "submissionquota" in text or ("quota" in text and code < 500 and enhanced != "4.2.2"):
        return Signal.QUOTA  # 4.2.2 is the recipient's full mailbox, not our sending quota
    if code == 554 and enhanced == "5.2.0":
        return Signal.QUOTA
    if code == 452 and (enhanced == "4.5.3" or "too many recipients" in text):
        return Signal.RECIPIENTS
    if code == 432 and enhanced == "4.3.2":
        return Signal.CONNECTIONS
    if code == 421 or (code in (450, 451) and enhanced.startswith("4.7.")):
        return Signal.RATE
    return None


def is_too_many_recipients(reply: str) -> bool:
    """A refused recipient whose reply only says the message had too many recipients."""
    found = _REPLY.search(reply)
    if found is None:
        return False
    return reply_signal(int(found.group(1)), found.group(2) or "", reply.lower()) is (
        Signal.RECIPIENTS
    )
