"""Webhooks through the sync client, and signature verification against real deliveries."""

import json
import time
from typing import Any, Dict, Iterator, Optional, Tuple, cast

import pytest

from _support import Receiver, wait_for
from fluenzr import FluenzrClient, FluenzrError, compute_webhook_signature, verify_webhook_signature


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    """A local HTTP server recording deliveries."""
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def _delivery_of(receiver: Receiver, event_type: str) -> Tuple[Dict[str, str], bytes]:
    def find() -> Optional[Tuple[Dict[str, str], bytes]]:
        for headers, body in receiver.deliveries:
            if json.loads(body)["type"] == event_type:
                return headers, body
        return None

    result: Tuple[Dict[str, str], bytes] = wait_for(find, timeout=15)
    return result


def test_webhook_crud(client: FluenzrClient, receiver: Receiver, tag: str) -> None:
    created = client.webhooks.create(
        url=receiver.url, events=["contact.created"], description=f"Hook {tag}"
    )
    assert created["id"].startswith("whk_") and created["secret"].startswith("whsec_")
    assert created["events"] == ["contact.created"] and created["status"] == "active"
    fetched = client.webhooks.get(created["id"])
    assert "secret" not in fetched and fetched["url"] == receiver.url

    updated = client.webhooks.update(created["id"], events=["*"], status="disabled")
    assert updated["events"] == ["*"] and updated["status"] == "disabled"
    assert client.webhooks.get(created["id"])["status"] == "disabled"
    assert created["id"] in [w["id"] for w in client.webhooks.list(status="disabled")]
    assert created["id"] in {w["id"] for w in client.webhooks.list_all()}

    assert client.webhooks.delete(created["id"]) == {"id": created["id"], "deleted": True}
    with pytest.raises(FluenzrError) as caught:
        client.webhooks.get(created["id"])
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"


def test_real_deliveries_verify(client: FluenzrClient, receiver: Receiver, tag: str) -> None:
    hook = client.webhooks.create(url=receiver.url, events=["contact.created"])
    secret = hook["secret"]
    try:
        contact = client.contacts.create(email=f"hooked-{tag}@example.com")
        headers, body = _delivery_of(receiver, "contact.created")
        event = json.loads(body)
        assert event["id"].startswith("evt_") and event["data"]["contact"]["id"] == contact["id"]
        signature = headers["x-fluenzr-signature"]
        timestamp = headers["x-fluenzr-timestamp"]
        assert signature.startswith("sha256=")
        assert verify_webhook_signature(body, signature, timestamp, secret) is True
        assert verify_webhook_signature(body.decode("utf-8"), signature, int(timestamp), secret)
        assert compute_webhook_signature(body, timestamp, secret) == signature

        tampered = body.replace(contact["id"].encode(), b"con_XXXXXXXXXXXXXXXXXXXX")
        assert verify_webhook_signature(tampered, signature, timestamp, secret) is False
        assert verify_webhook_signature(body + b" ", signature, timestamp, secret) is False
        assert verify_webhook_signature(body, signature, timestamp, secret + "x") is False
        assert verify_webhook_signature(body, signature, str(int(timestamp) + 1), secret) is False
        assert verify_webhook_signature(body, "sha256=" + "0" * 64, timestamp, secret) is False
        assert verify_webhook_signature(body, "", timestamp, secret) is False
        assert verify_webhook_signature(body, signature, "not-a-number", secret) is False

        stamp = int(timestamp)
        assert verify_webhook_signature(body, signature, timestamp, secret, now=stamp + 299)
        assert not verify_webhook_signature(body, signature, timestamp, secret, now=stamp + 301)
        assert not verify_webhook_signature(body, signature, timestamp, secret, now=stamp - 301)
        assert not verify_webhook_signature(
            body, signature, timestamp, secret, tolerance_seconds=10, now=stamp + 11
        )
        assert verify_webhook_signature(
            body, signature, timestamp, secret, tolerance_seconds=None, now=stamp + 10**6
        )
        assert abs(time.time() - stamp) < 60

        log = client.webhooks.test(hook["id"])
        assert log["eventType"] == "webhook.test" and log["id"].startswith("log_")
        assert log["status"] == "delivered" and log["statusCode"] == 200 and log["attempt"] == 1
        test_headers, test_body = _delivery_of(receiver, "webhook.test")
        assert json.loads(test_body)["id"] == log["eventId"]
        assert verify_webhook_signature(
            test_body, test_headers["x-fluenzr-signature"], test_headers["x-fluenzr-timestamp"],
            secret,
        )

        logs = wait_for(
            lambda: (page := client.webhooks.list_logs(hook["id"])).meta["total"] >= 2 and page
        )
        assert {entry["eventType"] for entry in logs} == {"contact.created", "webhook.test"}
        assert all(entry["status"] == "delivered" for entry in logs)
        assert log["id"] in {entry["id"] for entry in client.webhooks.list_logs_all(hook["id"])}
        delivered = client.webhooks.list_logs(hook["id"], status="delivered", per_page=1)
        assert len(delivered) == 1 and delivered.meta["total"] >= 2
    finally:
        client.webhooks.delete(hook["id"])


def test_verification_returns_false_for_values_of_the_wrong_type() -> None:
    secret = "whsec_test"
    stamp = int(time.time())
    body = b'{"type":"webhook.test"}'
    signature = compute_webhook_signature(body, stamp, secret)
    assert verify_webhook_signature(body, signature, stamp, secret) is True
    # e.g. raw header values handed over as bytes by a server framework
    wrong: Any = signature.encode("ascii")
    assert verify_webhook_signature(body, wrong, stamp, secret) is False
    assert verify_webhook_signature(body, signature, stamp, wrong) is False
    assert verify_webhook_signature(body, cast(Any, 42), stamp, secret) is False
    assert verify_webhook_signature(cast(Any, 42), signature, stamp, secret) is False
