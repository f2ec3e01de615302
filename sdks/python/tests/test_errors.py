"""Errors: the API's error envelope becomes FluenzrError; network failures and answers that
are not the envelope get their own codes."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List

import pytest

from _support import Server, free_port
from fluenzr import FluenzrClient, FluenzrError


def test_validation_error_with_details(client: FluenzrClient) -> None:
    with pytest.raises(FluenzrError) as caught:
        client.contacts.create(first_name="No email")
    error = caught.value
    assert error.status == 400 and error.code == "VALIDATION_ERROR"
    assert error.message == "email is required" and error.details == {"field": "email"}
    assert str(error) == "400 VALIDATION_ERROR: email is required"
    assert error.headers["x-ratelimit-limit"]


def test_unknown_query_parameter_is_a_validation_error(client: FluenzrClient) -> None:
    with pytest.raises(FluenzrError) as caught:
        client.contacts.list(bogus_filter="x")
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.details == {"parameter": "bogusFilter"}


def test_not_found(client: FluenzrClient) -> None:
    with pytest.raises(FluenzrError) as caught:
        client.campaigns.get("cmp_00000000000000000000")
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"
    assert caught.value.message == "Campaign not found"


def test_duplicate_email_is_a_conflict(client: FluenzrClient, tag: str) -> None:
    client.contacts.create(email=f"dup-{tag}@example.com")
    with pytest.raises(FluenzrError) as caught:
        client.contacts.create(email=f"DUP-{tag}@example.com")
    assert caught.value.status == 409 and caught.value.code == "CONFLICT"
    assert caught.value.message == "Email already exists"
    assert caught.value.details == {"field": "email"}
    assert client.contacts.list(email=f"dup-{tag}").meta["total"] == 1


def test_wrong_key_is_unauthorized(server: Server) -> None:
    with FluenzrClient(api_key="flz_sk_" + "a" * 32, base_url=server.base_url) as wrong:
        with pytest.raises(FluenzrError) as caught:
            wrong.contacts.list()
    assert caught.value.status == 401 and caught.value.code == "UNAUTHORIZED"
    assert caught.value.message == "Invalid or missing API key"


def test_closed_port_is_a_network_error() -> None:
    port = free_port()
    with FluenzrClient(api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0) as c:
        with pytest.raises(FluenzrError) as caught:
            c.contacts.list()
    assert caught.value.status == 0 and caught.value.code == "NETWORK_ERROR"


@pytest.fixture()
def silent_listener() -> Iterator[Any]:
    """A socket that accepts connections and never answers; counts them."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: List[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield sock.getsockname()[1], accepted
    sock.close()
    for conn in accepted:
        conn.close()


def test_a_silent_server_times_out_after_retries(silent_listener: Any) -> None:
    port, accepted = silent_listener
    base = f"http://127.0.0.1:{port}/v1"
    with FluenzrClient(api_key="k", base_url=base, timeout=0.3, max_retries=1) as c:
        with pytest.raises(FluenzrError) as caught:
            c.contacts.get("con_x")
    assert caught.value.status == 0 and caught.value.code == "TIMEOUT"
    assert len(accepted) == 2  # the first attempt and one retry


class _NotTheApi(BaseHTTPRequestHandler):
    """Answers every request with an HTML page (what a misconfigured proxy would do)."""

    requests: List[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _NotTheApi.requests.append(self.path)
        status = 502 if "/bad-gateway/" in self.path else 200
        body = b"<html><body>Not the API</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_answer_that_is_not_the_envelope_is_invalid_response() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotTheApi)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        port = httpd.server_address[1]
        with FluenzrClient(api_key="k", base_url=f"http://127.0.0.1:{port}/v1") as c:
            with pytest.raises(FluenzrError) as ok_status:
                c.contacts.list()
        assert ok_status.value.status == 200 and ok_status.value.code == "INVALID_RESPONSE"

        _NotTheApi.requests.clear()
        base = f"http://127.0.0.1:{port}/bad-gateway/v1"
        with FluenzrClient(api_key="k", base_url=base, max_retries=1) as c:
            with pytest.raises(FluenzrError) as bad_gateway:
                c.contacts.list()
        assert bad_gateway.value.status == 502 and bad_gateway.value.code == "INVALID_RESPONSE"
        assert len(_NotTheApi.requests) == 2  # 502 is retried
    finally:
        httpd.shutdown()
        httpd.server_close()
