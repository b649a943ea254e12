"""What Microsoft said, in words an admin can act on: sign-in (AADSTS) refusals and Graph's
error codes. Nothing here quotes the client secret: the token request carried it, so it is
blanked out of any description quoted."""

from __future__ import annotations

from collections.abc import Iterable

CONSENT_PATH = "Entra admin center → App registrations → API permissions → Grant admin consent"


class EntraError(Exception):
    """A failure of the connection or of Graph, in plain words (`field`: the form box at fault)."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 0, code: str = ""):
        super().__init__(message)
        self.field = field
        self.status = status
        self.code = code


class DeltaExpired(EntraError):
    """The saved delta link is no longer valid (410 Gone, syncStateNotFound, resyncRequired)."""


SIGN_IN = {
    90002: (
        "tenant",
        "The tenant {tenant} was not found (AADSTS90002): enter the directory (tenant) ID or "
        "a verified domain of the tenant, and check the national cloud it lives in.",
    ),
    700016: (
        "client_id",
        "No application with this client ID exists in tenant {tenant} (AADSTS700016): copy the "
        "Application (client) ID from the app registration's Overview page.",
    ),
    7000215: (
        "client_secret",
        "The client secret is wrong (AADSTS7000215): paste the secret's Value, not its Secret "
        "ID, from the app registration's Certificates & secrets page.",
    ),
    7000222: (
        "client_secret",
        "The client secret has expired (AADSTS7000222): create a new secret under the app "
        "registration's Certificates & secrets and paste its Value here.",
    ),
}


def sign_in_refused(result: dict, tenant: str, secrets: Iterable[str]) -> EntraError:
    """msal's answer without a token: the known AADSTS codes in plain words, else Microsoft's
    first sentence (trace and correlation ids cut off)."""
    codes = result.get("error_codes") or []
    for code in codes:
        if code in SIGN_IN:
            field, text = SIGN_IN[code]
            return EntraError(text.format(tenant=tenant), field=field, code=f"AADSTS{code}")
    description = str(result.get("error_description") or "no description")
    description = description.split("\r\n")[0].split(" Trace ID:")[0].strip()
    for secret in secrets:
        if secret:
            description = description.replace(secret, "***")
    error = result.get("error") or "error"
    return EntraError(f"Sign-in to tenant {tenant} was refused: {error}: {description}")


def graph_error(status: int, body: dict | None) -> tuple[str, str]:
    """Graph's `error.code` and `error.message` (empty when the body is not Graph's)."""
    error = (body or {}).get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def permission_missing(permission: str, doing: str) -> str:
    return (
        f"The app registration may not {doing}: it lacks the application permission "
        f"{permission} (or admin consent for it). Grant it in {CONSENT_PATH}."
    )
