"""A loopback service that is not what the client expects: a banner-first broker (NATS, SMTP), a
server answering whatever it is sent with its own protocol's error (HTTP), garbage bytes, one
that closes at once, one that never answers. It counts the connections it accepted, so a test
can prove a refused destination was never connected to."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field

NATS_GREETING = (
    b'INFO {"server_id":"NCXFOREIGNBANNER","server_name":"nats-1","version":"2.10.7",'
    b'"proto":1,"go":"go1.21.5","host":"0.0.0.0","port":4222,"max_payload":1048576}\r\n'
)
NATS_ERROR = b"-ERR 'Unknown Protocol Operation'\r\n"
HTTP_ERROR = (
    b"HTTP/1.1 400 Bad Request\r\nServer: foreign-banner/1.25.3\r\nContent-Type: text/html\r\n"
    b"Content-Length: 21\r\nConnection: close\r\n\r\n<h1>foreign body</h1>"
)
# Starts like an LDAP message (a SEQUENCE holding messageID 1), then bytes ldap3 cannot decode.
GARBAGE = b"0\x0c\x02\x01\x01\x97:\xea\x8d7\x17\x97\x06\x07foreign-garbage"


@dataclass
class ForeignService:
    greeting: bytes = b""  # sent as soon as a client connects
    reply: bytes = b""  # sent after the client's first bytes
    close_after_reply: bool = True
    close_at_once: bool = False
    tls: ssl.SSLContext | None = None  # wrap each connection (a server with a trusted cert)
    accepted: int = 0
    _sock: socket.socket = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def stop(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._talk, args=(client,), daemon=True).start()

    def _talk(self, client: socket.socket) -> None:
        client.settimeout(10)
        if self.close_at_once:
            client.close()
            return
        try:
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
            if self.greeting:
                client.sendall(self.greeting)
            if client.recv(65536) and self.reply:
                client.sendall(self.reply)
            if not self.close_after_reply:
                client.recv(65536)  # hold the connection until the client gives up
        except OSError:
            pass
        finally:
            client.close()
