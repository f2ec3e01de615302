"""Test helpers: the real server binary on a fresh database and a free loopback port, and
small local HTTP/TCP helpers (a webhook receiver, a fault-injecting proxy)."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx

REPO = Path(__file__).resolve().parents[3]
KEY_LINE = re.compile(r"^flz_sk_[A-Za-z0-9]{32}$")

SEND_NOW_SETTINGS: Dict[str, Any] = {
    "sendDays": [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ],
    "sendHoursStart": 0,
    "sendHoursEnd": 24,
    "timezone": "UTC",
    "maxEmailsPerHour": 100,
}
"""Campaign settings whose sending window is always open."""

HELLO_WORKFLOW: Dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "start"},
        {
            "id": "hello",
            "type": "email",
            "data": {"subject": "Hi {{firstName|there}}", "body": "<p>Hello</p>"},
        },
        {"id": "end", "type": "end"},
    ],
    "edges": [{"from": "start", "to": "hello"}, {"from": "hello", "to": "end"}],
}
"""A one-email workflow."""


def closed_day() -> str:
    """A send day whose window is closed now: the day after tomorrow (UTC)."""
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    return days[(datetime.now(timezone.utc).weekday() + 2) % 7]


def binary() -> Path:
    """The server binary: ``FLUENZR_BIN`` or ``<repo>/target/release/fluenzr``."""
    path = Path(os.environ.get("FLUENZR_BIN") or REPO / "target" / "release" / "fluenzr")
    if not path.is_file():
        raise RuntimeError(f"fluenzr server binary not found at {path}; build it or set FLUENZR_BIN")
    return path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The real ``fluenzr serve`` on a temp database; `start` reads the printed key."""

    def __init__(self, extra_env: Optional[Dict[str, str]] = None, port: Optional[int] = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="fluenzr-py-")
        self.port = port or free_port()
        self.extra_env = extra_env or {}
        self.api_key = ""
        self.process: Optional["subprocess.Popen[str]"] = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def spawn(self) -> None:
        """Start the process (on the same database and port as before, if restarted)."""
        env = dict(os.environ)
        env.update(
            {
                "FLUENZR_WEBHOOK_ALLOW_PRIVATE": "true",
                "FLUENZR_RATE_LIMIT_PER_MINUTE": "100000000",
                "FLUENZR_AUTH_FAILURES_PER_MINUTE": "100000000",
                "FLUENZR_LOG": "warn",
            }
        )
        env.update(self.extra_env)
        log = open(os.path.join(self.dir, "server.log"), "a")
        self.process = subprocess.Popen(
            [str(binary()), "serve", "--db", os.path.join(self.dir, "fluenzr.db"),
             "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=log, text=True, env=env,
        )
        log.close()

    def start(self) -> "Server":
        """Start on a fresh database, read the API key and wait for ``/readyz``."""
        self.spawn()
        assert self.process is not None and self.process.stdout is not None
        found: List[str] = []

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if not found and KEY_LINE.match(line.strip()):
                    found.append(line.strip())

        threading.Thread(target=read, daemon=True).start()
        deadline = time.time() + 20
        while not found and time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            time.sleep(0.02)
        if not found:
            raise RuntimeError(f"no API key printed: {self.log()}")
        self.api_key = found[0]
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        """Poll ``GET /readyz`` until it answers 200."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server not ready: {self.log()}")

    def stop(self) -> None:
        """Stop the process (the database stays for a restart)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        """Stop and delete the temp directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        """The server's stderr so far."""
        try:
            return Path(self.dir, "server.log").read_text()[-4000:]
        except OSError:
            return ""


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Call ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class Receiver:
    """A webhook receiver: an HTTP server thread recording each POST's headers and raw body."""

    def __init__(self) -> None:
        self.deliveries: List[Tuple[Dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
