"""A small TCP proxy in front of the real server that can drop the answer of the first POST:
it forwards the request, lets the server handle it, reads the answer and then closes the
client's connection without sending it (the client sees a network error after the server
did the work)."""

import socket
import threading
from typing import Dict, List, Tuple


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _with_connection_close(message: bytes) -> bytes:
    head, sep, body = message.partition(b"\r\n\r\n")
    lines = [
        line for line in head.split(b"\r\n")
        if not line.lower().startswith(b"connection:")
    ]
    return b"\r\n".join(lines + [b"Connection: close"]) + sep + body


def _headers(message: bytes) -> Dict[str, str]:
    head = message.partition(b"\r\n\r\n")[0].decode("latin-1")
    out: Dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


class DropFirstPostProxy:
    """Listens on a free loopback port; forwards to ``target_port``; records every POST as
    ``(request line, request headers, response headers, dropped)``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.posts: List[Tuple[str, Dict[str, str], Dict[str, str], bool]] = []
        self._dropped = False
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        """The proxy's ``/v1`` base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            if not request:
                return
            with socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
                upstream.sendall(_with_connection_close(request))
                response = b""
                while True:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    response += chunk
            line = request.split(b"\r\n", 1)[0].decode("latin-1")
            drop = False
            if line.startswith("POST "):
                with self._lock:
                    drop = not self._dropped
                    self._dropped = True
                    self.posts.append((line, _headers(request), _headers(response), drop))
            if drop:
                conn.shutdown(socket.SHUT_RDWR)
                return
            conn.sendall(_with_connection_close(response))

    def close(self) -> None:
        """Stop listening."""
        self._running = False
        self.sock.close()
