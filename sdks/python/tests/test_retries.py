"""Retries and idempotency against real servers: 429 with Retry-After, a server that comes up
late, and a POST whose answer is lost on the way back."""

import asyncio
import threading
import time
import uuid
from typing import Iterator, List, Tuple

import httpx
import pytest

from _proxy import DropFirstPostProxy
from _support import Server, free_port
from fluenzr import AsyncFluenzrClient, FluenzrClient, FluenzrError


@pytest.fixture(scope="module")
def limited_server() -> Iterator[Server]:
    """A second server allowing 60 requests per minute per key."""
    srv = Server({"FLUENZR_RATE_LIMIT_PER_MINUTE": "60"}).start()
    try:
        yield srv
    finally:
        srv.cleanup()


def test_429_is_retried_after_retry_after(limited_server: Server) -> None:
    seen: List[Tuple[float, int, str]] = []

    def on_response(response: httpx.Response) -> None:
        seen.append((time.monotonic(), response.status_code, response.headers.get("Retry-After", "")))

    http = httpx.Client(event_hooks={"response": [on_response]})
    with FluenzrClient(
        api_key=limited_server.api_key, base_url=limited_server.base_url, http_client=http
    ) as client:
        results = [client.contacts.list(per_page=1) for _ in range(65)]
    http.close()

    assert len(results) == 65 and all(page.meta["total"] == 0 for page in results)
    statuses = [status for _, status, _ in seen]
    assert statuses.count(200) == 65
    limited = [i for i, (_, status, _) in enumerate(seen) if status == 429]
    assert limited, "the server never answered 429"
    for index in limited:
        at, _, retry_after = seen[index]
        assert retry_after == "1"
        next_at = seen[index + 1][0]
        assert next_at - at >= 0.9, "the retry did not wait for Retry-After"


def test_429_surfaces_when_retries_are_spent(limited_server: Server) -> None:
    with FluenzrClient(
        api_key=limited_server.api_key, base_url=limited_server.base_url, max_retries=0
    ) as client:
        with pytest.raises(FluenzrError) as caught:
            for _ in range(70):
                client.contacts.list(per_page=1)
    assert caught.value.status == 429 and caught.value.code == "RATE_LIMIT_EXCEEDED"
    assert caught.value.details == {"retryAfter": 1}
    assert caught.value.headers["retry-after"] == "1"


def test_a_server_that_starts_late_is_reached_by_retries() -> None:
    srv = Server(port=free_port()).start()
    try:
        srv.stop()  # the database (and its key) stays; the port is now closed
        attempts: List[str] = []
        http = httpx.Client(event_hooks={"request": [lambda r: attempts.append(r.url.path)]})
        starter = threading.Timer(1.0, srv.spawn)
        starter.start()
        with FluenzrClient(
            api_key=srv.api_key, base_url=srv.base_url, http_client=http, max_retries=5
        ) as client:
            created = client.contacts.create(email="late@example.com")
            assert client.contacts.get(created["id"])["email"] == "late@example.com"
        http.close()
        starter.join()
        assert attempts.count("/v1/contacts") >= 2, "the first attempts should have failed"
        assert client.max_retries == 5
    finally:
        srv.cleanup()


def test_a_lost_answer_is_retried_with_the_same_key_and_creates_once(
    server: Server, client: FluenzrClient
) -> None:
    proxy = DropFirstPostProxy(server.port)
    try:
        email = f"once-{uuid.uuid4().hex[:8]}@example.com"
        with FluenzrClient(api_key=server.api_key, base_url=proxy.base_url) as through_proxy:
            created = through_proxy.contacts.create(email=email, first_name="Once")
            second = through_proxy.contacts.create(email="x" + email.replace("once", "two"))
        assert created["email"] == email and created["firstName"] == "Once"

        first_try, retry, other = proxy.posts
        assert first_try[3] is True and retry[3] is False  # the first answer was dropped
        key = first_try[1]["idempotency-key"]
        assert uuid.UUID(key).version == 4
        assert retry[1]["idempotency-key"] == key
        assert retry[2].get("idempotent-replayed") == "true"
        assert other[1]["idempotency-key"] != key
        assert second["email"] == "x" + email.replace("once", "two")

        matches = client.contacts.list(email=email)
        assert matches.meta["total"] == 1 and matches[0]["id"] == created["id"]
    finally:
        proxy.close()


def test_a_callers_idempotency_key_replays_the_first_answer(client: FluenzrClient) -> None:
    key = f"my-key-{uuid.uuid4()}"
    email = f"keyed-{uuid.uuid4().hex[:8]}@example.com"
    first = client.contacts.create(email=email, idempotency_key=key)
    again = client.contacts.create(email=email, idempotency_key=key)
    assert again == first
    assert client.contacts.list(email=email).meta["total"] == 1
    with pytest.raises(FluenzrError) as caught:
        client.contacts.create(email="different-" + email, idempotency_key=key)
    assert caught.value.status == 409 and caught.value.code == "CONFLICT"


def test_the_async_client_retries_a_lost_answer_with_the_same_key(server: Server) -> None:
    proxy = DropFirstPostProxy(server.port)
    email = f"async-once-{uuid.uuid4().hex[:8]}@example.com"

    async def run() -> List[str]:
        async with AsyncFluenzrClient(api_key=server.api_key, base_url=proxy.base_url) as c:
            created = await c.contacts.create(email=email)
            found = await c.contacts.list(email=email)
            return [created["id"]] + [contact["id"] for contact in found]

    try:
        created_id, *listed = asyncio.run(run())
    finally:
        proxy.close()
    assert listed == [created_id]  # created once
    first_try, retry = proxy.posts
    assert first_try[3] is True and retry[3] is False
    assert retry[1]["idempotency-key"] == first_try[1]["idempotency-key"]
    assert retry[2].get("idempotent-replayed") == "true"
