"""Exchange Online's submission host on loopback: a real aiosmtpd server that answers Basic
SMTP AUTH as Exchange Online does once Microsoft has turned it off for the tenant.

`smtp.office365.com` resolves to 127.0.0.1 for this test only, and the server presents a
certificate for that name signed by the test CA, so the store's settings are exactly what an
admin would type and TLS is verified as in production.
"""

from __future__ import annotations

import socket

import pytest

EXCHANGE_HOST = "smtp.office365.com"
BASIC_REFUSED = "550 5.7.30 Basic authentication is not supported for Client Submission"


@pytest.fixture
def exchange_on_loopback(monkeypatch, smtp_server, test_ca):
    """A STARTTLS server for smtp.office365.com refusing every Basic login with 5.7.30."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if str(host).rstrip(".").lower() == EXCHANGE_HOST:
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return smtp_server(
        "starttls",
        leaf=test_ca.ca.issue_cert(EXCHANGE_HOST),
        users={"mailer@contoso.test": "never-accepted"},
        auth_fail_reply=BASIC_REFUSED,
    )
