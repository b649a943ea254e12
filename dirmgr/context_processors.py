"""Puts the live pages' refresh interval into every template."""

from django.conf import settings
from django.http import HttpRequest


def live_refresh(request: HttpRequest) -> dict[str, object]:
    """`live_seconds`: how often a live page asks for its changing part."""
    return {"live_seconds": settings.LIVE_REFRESH_SECONDS}
