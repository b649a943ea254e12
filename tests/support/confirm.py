"""Read a confirmation page (templates/confirm.html) as a browser without JavaScript would:
its question, its Cancel link, and the form it posts when the admin says yes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser


@dataclass
class Confirmation:
    question: str = ""
    action: str = ""
    cancel_url: str = ""
    data: dict[str, list[str]] = field(default_factory=dict)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = Confirmation()
        self._in_h1 = False
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
        elif tag == "form" and attrs.get("method") == "post" and "card" in attrs.get("class", ""):
            self._in_form, self.found.action = True, attrs["action"]
        elif tag == "input" and self._in_form and attrs.get("type") == "hidden":
            if attrs["name"] != "csrfmiddlewaretoken":
                self.found.data.setdefault(attrs["name"], []).append(attrs.get("value", ""))
        elif tag == "a" and self._in_form and attrs.get("class") == "button":
            self.found.cancel_url = attrs["href"]

    def handle_endtag(self, tag: str) -> None:
        self._in_h1 = self._in_h1 and tag != "h1"
        self._in_form = self._in_form and tag != "form"

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.found.question += data


def read_confirmation(response) -> Confirmation:
    """The confirmation page in `response`; fails when the response is not one."""
    assert response.status_code == 200, response.status_code
    reader = _Reader()
    reader.feed(response.content.decode())
    found = reader.found
    assert found.action and found.data.get("confirm") == ["yes"], "not a confirmation page"
    found.question = unescape(found.question.strip())
    return found
