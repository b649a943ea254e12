"""A foreign service on loopback: a plain TCP (or TLS) listener that is not a mail server.

It sends a banner on connect (a NATS server's JSON `INFO` line, an FTP greeting …), answers
every line it receives with a fixed reply, and records how many connections it got and every
byte sent to it — what a test needs to prove that nothing reached it, or that none of its
bytes came back out of the Admin Center.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass


@dataclass(eq=False)
class Listener:
    host: str = "127.0.0.1"
    bind_port: int = 0  # 0: any free port
    banner: bytes = b""
    reply: bytes = b""
    tls_context: ssl.SSLContext | None = None
    close_at_once: bool = False  # hang up right after accepting, without a word

    def __post_init__(self):
        self.connections = 0
        self.received = bytearray()
        self._sock = socket.create_server((self.host, self.bind_port))
        self._sock.settimeout(0.05)
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def start(self) -> Listener:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            if self.close_at_once:
                conn.close()
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            if self.tls_context is not None:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            conn.sendall(self.banner)
            while data := conn.recv(65536):
                self.received += data
                if self.reply:
                    conn.sendall(self.reply)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()
