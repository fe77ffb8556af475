"""A TCP forwarder that a fault-injection test puts between a client and a server
(PostgreSQL, Redis) and then cuts: the server seems to go down, as when it crashes or
restarts. Every open connection is reset and new ones are refused until `restore()`.

The server itself keeps running, so a test can cut the service for the processes it
points at the proxy (a Celery worker, the test's own database connection) without
stopping a service that other tests, or the other half of the test, still use.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_ACCEPT_POLL_S = 0.2


class TcpProxy:
    """Listens on 127.0.0.1:`port` and forwards each connection to `target`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._open()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def cut(self) -> None:
        """Reset every open connection and refuse new ones (connection refused)."""
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets = self._sockets, set()
            self.cuts += 1
        if listener is not None:
            listener.close()
        for sock in doomed:
            _reset(sock)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self.is_cut:
            self._open()

    @contextmanager
    def outage(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def close(self) -> None:
        self.cut()

    def _open(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The port of a cut proxy has connections in TIME_WAIT; rebinding must not wait.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(_ACCEPT_POLL_S)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True,
                         name=f"tcp-proxy-{self.port}").start()

    def _accept(self, listener: socket.socket) -> None:
        # Polls rather than blocks: closing a socket does not wake a thread in accept().
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    _reset(client), _reset(server)
                    return
                self._sockets |= {client, server}
                self.accepted += 1
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._sockets -= {source, sink}
        _reset(source), _reset(sink)


def _reset(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
