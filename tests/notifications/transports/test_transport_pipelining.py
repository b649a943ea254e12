"""Pipelined mail transactions (RFC 2920), the outbox workers' path: against the loopback aiosmtpd
server offering PIPELINING, a strict server that answers only once the whole envelope arrived,
and Postfix's smtp-sink. Every refusal reads as it does without pipelining."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import uvloop

from notifications.transports import TransportConfig, TransportError, get_transport
from notifications.transports.base import RenderedMessage
from tests.support.net import free_port, wait_for_port
from tests.support.transports import deliver
from tests.support.transports import rendered as support_rendered

BODY = b"Subject: Group changed\r\n\r\nThe group Sales was changed.\r\n"


def rendered(*recipients: str, data: bytes = BODY) -> RenderedMessage:
    return support_rendered(*recipients, data=data)


def send_all(config: TransportConfig, *messages: RenderedMessage, between=None) -> list:
    """Send on one transport; each result is a SendResult or the TransportError raised."""
    return deliver(config, *messages, between=between, keep_errors=True)


def test_recipients_refused_one_by_one_are_reported_and_the_rest_get_it(smtp_server):
    server = smtp_server(rcpt_replies={"gone@contoso.test": "550 5.1.1 no such user"})
    (result,) = send_all(
        server.transport_config(), rendered("a@contoso.test", "gone@contoso.test", "b@contoso.test")
    )
    (received,) = server.wait_for(1)
    assert received.rcpt_tos == ["a@contoso.test", "b@contoso.test"]
    assert result.refused == {"gone@contoso.test": "550 5.1.1 no such user"}
    assert result.reply == "250 2.0.0 OK queued"


def test_every_recipient_refused_fails_and_the_connection_sends_the_next(smtp_server):
    server = smtp_server(rcpt_replies={"gone@contoso.test": "550 5.1.1 no such user"})
    refused, sent = send_all(
        server.transport_config(), rendered("gone@contoso.test"), rendered("a@contoso.test")
    )
    assert isinstance(refused, TransportError) and refused.permanent
    assert "550 5.1.1" in refused.message
    assert sent.refused == {} and server.wait_for(1)[0].rcpt_tos == ["a@contoso.test"]
    assert server.connections == 1


def test_a_temporary_sender_refusal_is_transient_and_keeps_the_connection(smtp_server):
    server = smtp_server(mail_reply="451 4.7.0 Temporary server error")

    def recover():
        server.mail_reply = None

    failed, sent = send_all(server.transport_config(), rendered(), rendered(), between=recover)
    assert isinstance(failed, TransportError) and not failed.permanent
    assert failed.reply == "451 4.7.0 Temporary server error"
    assert sent.reply.startswith("250") and len(server.wait_for(1)) == 1
    assert server.connections == 1


def test_a_421_closes_the_connection_and_the_next_message_reconnects(smtp_server):
    server = smtp_server(mail_reply="421 4.3.2 Service not available, closing channel")

    def recover():
        server.mail_reply = None

    failed, sent = send_all(server.transport_config(), rendered(), rendered(), between=recover)
    assert isinstance(failed, TransportError) and failed.reply.startswith("421 4.3.2")
    assert sent.reply.startswith("250")
    assert server.connections == 2


def test_a_refused_message_is_a_data_error(smtp_server):
    server = smtp_server(data_reply="554 5.6.0 Message rejected")
    (failed,) = send_all(server.transport_config(), rendered())
    assert isinstance(failed, TransportError) and failed.permanent
    assert failed.reply == "554 5.6.0 Message rejected"


def test_lines_starting_with_a_dot_and_bare_newlines_arrive_intact(smtp_server):
    server = smtp_server()
    data = b"Subject: Dots\r\n\r\n.leading dot\n..two dots\r\nlast\n"
    send_all(server.transport_config(), rendered(data=data))
    (received,) = server.wait_for(1)
    assert received.data.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")


def test_a_connection_the_server_closed_while_idle_is_opened_again(smtp_server):
    server = smtp_server()
    results = send_all(
        server.transport_config(), rendered(), rendered(), between=server.drop_connections
    )
    assert all(r.reply.startswith("250") for r in results)
    assert len(server.wait_for(2)) == 2 and server.connections == 2


def test_a_server_without_pipelining_gets_one_command_at_a_time(smtp_server):
    server = smtp_server(pipelining=False, rcpt_replies={"gone@contoso.test": "550 5.1.1 no"})
    ok, refused = send_all(
        server.transport_config(), rendered("a@contoso.test"), rendered("gone@contoso.test")
    )
    assert ok.reply.startswith("250") and isinstance(refused, TransportError)


def test_a_silent_server_times_out(smtp_server):
    server = smtp_server(hang_on="DATA")
    (failed,) = send_all(server.transport_config(timeout=0.5), rendered())
    assert isinstance(failed, TransportError) and not failed.permanent
    assert "timed out" in failed.message.lower() or "did not answer" in failed.message.lower()


class EnvelopeFirstServer:
    """Answers a transaction only once MAIL, every RCPT and DATA are in: a client that waits
    for each reply before the next command gets no answer at all."""

    def __init__(self, recipients: int):
        self.expected = recipients + 2
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.groups: list[list[bytes]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as reader:
            conn.sendall(b"220 strict.test ESMTP\r\n")
            reader.readline()  # EHLO
            conn.sendall(b"250-strict.test\r\n250 PIPELINING\r\n")
            while (line := reader.readline()) and not line.startswith(b"QUIT"):
                group = [line] + [reader.readline() for _ in range(self.expected - 1)]
                self.groups.append(group)
                conn.sendall(b"250 ok\r\n" * (self.expected - 1) + b"354 go ahead\r\n")
                while reader.readline() != b".\r\n":
                    pass
                conn.sendall(b"250 2.0.0 queued\r\n")
            conn.sendall(b"221 bye\r\n")


def test_the_envelope_goes_in_one_group_before_any_reply():
    server = EnvelopeFirstServer(recipients=2)
    config = TransportConfig(
        host="127.0.0.1", port=server.port, from_email="n@contoso.test", timeout=5
    )
    results = send_all(
        config, rendered("a@contoso.test", "b@contoso.test"), rendered("a@c.test", "b@c.test")
    )
    assert [r.reply for r in results] == ["250 2.0.0 queued"] * 2
    assert [line.split(b":")[0] for line in server.groups[0]] == [
        b"MAIL FROM",
        b"RCPT TO",
        b"RCPT TO",
        b"DATA\r\n",
    ]


@pytest.mark.skipif(not shutil.which("smtp-sink", path="/usr/sbin"), reason="postfix not installed")
def test_postfix_smtp_sink_takes_a_hundred_pipelined_messages():
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []  # as root it must drop privileges
    # A folder that user can reach (pytest's tmp_path sits under a private one).
    tmp_path = Path(tempfile.mkdtemp(prefix="smtp-sink-"))
    tmp_path.chmod(0o777)
    dump = str(tmp_path / "message.")  # one file per transaction, a random suffix each
    sink = subprocess.Popen(
        ["/usr/sbin/smtp-sink", "-d", dump, *user, f"127.0.0.1:{port}", "16"], cwd=tmp_path
    )
    try:
        wait_for_port(port)
        config = TransportConfig(host="127.0.0.1", port=port, from_email="n@contoso.test")
        messages = [rendered(f"user{i}@contoso.test") for i in range(100)]
        results = send_all(config, *messages)
    finally:
        sink.terminate()
        sink.wait(10)
    assert all(r.reply.startswith("250") for r in results)
    dumps = list(tmp_path.glob("message.*"))
    try:
        assert len(dumps) == 100
        assert b"The group Sales was changed." in dumps[0].read_bytes()
    finally:
        shutil.rmtree(tmp_path)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
@pytest.mark.parametrize("loop_factory", [uvloop.new_event_loop, asyncio.new_event_loop])
def test_pipelining_runs_over_tls_on_both_event_loops(smtp_server, mode, loop_factory):
    """The workers run uvloop; the connection is taken over after TLS and AUTH."""
    server = smtp_server(mode, users={"mailer": "s3cret-Pa55"})
    config = server.transport_config(auth="basic", username="mailer", password="s3cret-Pa55")

    async def scenario():
        transport = get_transport(config)
        try:
            return [await transport.send_rendered(rendered(f"u{i}@c.test")) for i in range(3)]
        finally:
            await transport.close()

    def in_loop():
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(scenario())

    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(in_loop).result()
    assert [r.reply[:3] for r in results] == ["250"] * 3
    received = server.wait_for(3)
    assert all(m.tls and m.auth_user == "mailer" for m in received)
    assert server.connections == (2 if mode == "starttls" else 1)  # EHLOs: again after STARTTLS
