"""The project's own documentation (the Markdown files under docs/) as help pages of the Admin
Center, and the section of a page that explains a given error message.

No Markdown library is a dependency, and rendering Markdown by hand would be a half-renderer to
maintain. So a help page shows each file's text as written, cut into its sections at the heading
lines, each section carrying the anchor GitHub gives the same heading: a link such as
`/help/test-server-errors/#3-signing-in` lands where `docs/test-server-errors.md#3-signing-in`
does on GitHub.

The section explaining an error is found in the documentation itself: each section lists the
messages it explains in backquotes, and the section whose listed message is most like the one
shown wins. A message the docs do not list gets the page without a section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from django.urls import reverse

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
PAGE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")
HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
QUOTED = re.compile(r"`([^`]{12,})`")
MATCH_AT_LEAST = 0.6  # below this, a listed message is not taken for the one shown


@dataclass(frozen=True)
class Section:
    """One heading of a page and the text under it, up to the next heading."""

    level: int
    title: str
    anchor: str
    text: str


def slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    words = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return words.replace(" ", "-")


def page_path(name: str) -> Path | None:
    """The file of help page `name`, or None when there is no such page."""
    if not PAGE_NAME.fullmatch(name):
        return None
    path = DOCS_DIR / f"{name}.md"
    return path if path.is_file() else None


@lru_cache(maxsize=64)
def sections(name: str) -> tuple[Section, ...]:
    """The page's sections in order; text before the first heading is a section without one."""
    path = page_path(name)
    if path is None:
        return ()
    found: list[Section] = []
    level, title, lines, fenced = 0, "", [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        fenced ^= line.lstrip().startswith("```")
        heading = None if fenced else HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        found.append(Section(level, title, slug(title) if title else "", "\n".join(lines)))
        level, title, lines = len(heading.group(1)), heading.group(2), []
    found.append(Section(level, title, slug(title) if title else "", "\n".join(lines)))
    return tuple(s for s in found if s.title or s.text.strip())


def section_for(name: str, *messages: str) -> Section | None:
    """The section of page `name` listing the text most like one of `messages`, if any is alike
    (an error's own words, the server's reply)."""
    best, score = None, MATCH_AT_LEAST
    for section in sections(name):
        if not section.anchor:
            continue
        for quoted in QUOTED.findall(section.text):
            for message in filter(None, messages):
                ratio = likeness(quoted, message)
                if ratio > score:
                    best, score = section, ratio
    return best


def likeness(quoted: str, message: str) -> float:
    """0..1: how alike a message listed in the docs and the one shown are. The docs cut long
    messages short with "…" and write `host:port` for the address, so a listed message is
    compared with as much of the start of the shown one as it has."""
    listed = quoted.rstrip("… ").lower()
    shown = message.lower()[: len(listed) + 8] if quoted.endswith("…") else message.lower()
    return SequenceMatcher(None, listed, shown).ratio()


def link(name: str, *messages: str) -> dict[str, str]:
    """Where the help for `messages` is: the URL path, and the docs file and section it shows."""
    section = section_for(name, *messages)
    anchor = f"#{section.anchor}" if section else ""
    return {
        "url": reverse("help", args=[name]) + anchor,
        "source": f"docs/{name}.md{anchor}",
        "section": section.title if section else "",
    }
