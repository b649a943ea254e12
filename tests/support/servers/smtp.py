"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the transport, outbox and benchmark tests.

Modes: "plain", "starttls" (STARTTLS required before MAIL) and "tls" (implicit TLS). AUTH
PLAIN/LOGIN check a dict of users; AUTH XOAUTH2 asks a callable whether a bearer token is
valid (the loopback token endpoint's `is_valid`). Failures are injected by setting attributes on
the running server: `rcpt_replies`, `data_reply`, `drop_on`, `hang_on`, `after_data` (a
callback after each accepted message, e.g. to break the worker's database session).

`sink=True` skips recording and parsing, only counting messages: for throughput benchmarks.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from notifications.transports.base import TransportConfig

MODES = ("plain", "starttls", "tls")
BIG_LIMIT = 16384  # real OAuth tokens are 1.5–3 KB; aiosmtpd's default command cap is 512
# aiosmtpd logs every command at INFO: too loud for tests and too slow for benchmarks.
logging.getLogger("mail.log").setLevel(logging.WARNING)

AUTH_MECHANISMS = frozenset({"PLAIN", "LOGIN", "XOAUTH2"})
AUTH_FAILED = "535 5.7.8 Authentication credentials invalid"
XOAUTH2_FAILED = "535 5.7.3 Authentication unsuccessful"


@dataclass
class Received:
    """One accepted message: the envelope, who authenticated, whether TLS was on, the bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    auth_user: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _BigLineSMTP(SMTP):
    line_length_limit = BIG_LIMIT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.command_size_limits = defaultdict(lambda: 512, {"AUTH": BIG_LIMIT})


class _Controller(Controller):
    """Binds a free port (port=0) and tracks live sessions so tests can drop them."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        self.sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp = _BigLineSMTP(self.handler, **self.SMTP_kwargs)
        self.sessions.append(smtp)
        return smtp

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass(eq=False)
class SMTPTestServer:
    """Start with `start()`, stop with `stop()`; the fixtures in fixtures.py do both."""

    mode: str = "plain"
    tls_context: object = None  # ssl.SSLContext for "starttls" / "tls"
    users: dict[str, str] = field(default_factory=dict)
    token_checker: Callable[[str, str], bool] | None = None
    mechanisms: Iterable[str] = AUTH_MECHANISMS
    auth_required: bool = False
    auth_fail_reply: str = AUTH_FAILED
    sink: bool = False
    # Offer PIPELINING (RFC 2920) as Exchange Online, Gmail and Postfix do; aiosmtpd reads
    # pipelined commands in order either way. False: clients must wait for each reply.
    pipelining: bool = True
    # Failure injection, changeable while the server runs.
    mail_reply: str | None = None  # e.g. "530 5.7.57 …" answered to MAIL FROM
    # address → reply, or → a list of replies answered one per RCPT, then accepted
    rcpt_replies: dict[str, str | list[str]] = field(default_factory=dict)
    data_reply: str | None = None
    drop_on: str | None = None  # "MAIL", "RCPT" or "DATA": abort the connection there
    hang_on: str | None = None  # same commands: no answer until the server stops
    data_delay: float = 0.0  # seconds to wait before answering DATA (a slow server)
    # Called with the message count after a message was accepted, before the reply goes out.
    after_data: Callable[[int], None] | None = None

    def __post_init__(self):
        self.handler_class = _Handler
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.mode != "plain" and self.tls_context is None:
            raise ValueError(f"mode {self.mode!r} needs a tls_context")
        self.received: list[Received] = []
        self.count = 0
        self.auth_attempts: list[tuple[str, str]] = []  # (mechanism, user)
        self.auth_secrets: list[str] = []  # every password AUTH PLAIN/LOGIN carried (capturing)
        self.connections = 0
        self._condition = threading.Condition()
        self._controller: _Controller | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SMTPTestServer:
        handler = self.handler_class(self)
        offered = set(self.mechanisms) if (self.users or self.token_checker) else set()
        if not self.token_checker:
            offered.discard("XOAUTH2")
        kwargs = dict(
            authenticator=self._authenticate,
            auth_required=self.auth_required,
            auth_require_tls=self.mode == "starttls",
            auth_exclude_mechanism=sorted(AUTH_MECHANISMS - offered),
            data_size_limit=None,
            server_hostname="mail.test",
        )
        if self.mode == "starttls":
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.mode == "tls":
            kwargs["ssl_context"] = self.tls_context
        handler.advertise_auth = bool(offered)
        self._controller = _Controller(handler, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        assert self._controller is not None, "server not started"
        return self._controller.port

    def transport_config(self, **overrides) -> TransportConfig:
        """A configuration pointing at this server (SSL enabled for the TLS modes)."""
        values = dict(
            host=self.host,
            port=self.port,
            from_email="notifications@contoso.test",
            ssl_enabled=self.mode != "plain",
            timeout=5.0,
        )
        return TransportConfig(**{**values, **overrides})

    # -- observing -------------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` messages arrived (or fail the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.count < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} messages, got {self.count}")
                self._condition.wait(remaining)
        return list(self.received)

    def drop_connections(self) -> None:
        """Close every open session from the server side (as an idle timeout would)."""
        assert self._controller is not None
        for smtp in list(self._controller.sessions):
            if smtp.transport is not None:
                self._controller.loop.call_soon_threadsafe(smtp.transport.close)
        self._controller.sessions.clear()

    # -- behaviour -------------------------------------------------------------------------

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        self.auth_attempts.append((mechanism, user))
        self.auth_secrets.append(auth_data.password.decode())
        if self.users.get(user) == auth_data.password.decode():
            return AuthResult(success=True, auth_data=user)
        # handled=False: aiosmtpd sends the reply itself (handled=True would hang the client)
        return AuthResult(success=False, handled=False, message=self.auth_fail_reply)

    def _record(self, envelope: Envelope, session: Session, tls: bool) -> None:
        with self._condition:
            self.count += 1
            if not self.sink:
                self.received.append(
                    Received(
                        mail_from=envelope.mail_from,
                        rcpt_tos=list(envelope.rcpt_tos),
                        data=envelope.original_content or envelope.content,
                        auth_user=session.auth_data if session.authenticated else None,
                        tls=tls,
                    )
                )
            self._condition.notify_all()


class _Handler:
    """aiosmtpd handler: every `handle_*` hook consults the server's failure settings."""

    def __init__(self, server: SMTPTestServer):
        self.server = server
        self.advertise_auth = True

    async def _misbehave(self, smtp: SMTP, command: str) -> bool:
        if self.server.drop_on == command:
            smtp.transport.abort()
            return True
        if self.server.hang_on == command:
            await asyncio.sleep(3600)  # cancelled when the server stops
            return True
        return False

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        session.host_name = hostname
        self.server.connections += 1
        if not self.advertise_auth:
            responses = [line for line in responses if not line[4:].startswith("AUTH")]
        if self.server.pipelining:
            responses = [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, smtp, session, envelope, address, options):
        if await self._misbehave(smtp, "MAIL"):
            return "421 4.4.2 connection dropped"
        if self.server.mail_reply:
            return self.server.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, options):
        if await self._misbehave(smtp, "RCPT"):
            return "421 4.4.2 connection dropped"
        reply = self.server.rcpt_replies.get(address)
        if isinstance(reply, list):
            reply = reply.pop(0) if reply else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if await self._misbehave(smtp, "DATA"):
            return "421 4.4.2 connection dropped"
        if self.server.data_reply:
            return self.server.data_reply
        if self.server.data_delay:
            await asyncio.sleep(self.server.data_delay)
        tls = self.server.mode == "tls" or session.ssl is not None
        self.server._record(envelope, session, tls)
        if self.server.after_data is not None:
            self.server.after_data(self.server.count)
        return "250 2.0.0 OK queued"

    async def auth_XOAUTH2(self, smtp: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2: base64("user=U\\x01auth=Bearer T\\x01\\x01"), checked by token_checker."""
        if len(args) < 2:
            return AuthResult(success=False, handled=False, message="501 5.5.2 initial response")
        try:
            fields = base64.b64decode(args[1], validate=True).decode().split("\x01")
            values = dict(f.split("=", 1) for f in fields if f)
            user, token = values["user"], values["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 bad XOAUTH2")
        self.server.auth_attempts.append(("XOAUTH2", user))
        if self.server.token_checker and self.server.token_checker(user, token):
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False, message=XOAUTH2_FAILED)
