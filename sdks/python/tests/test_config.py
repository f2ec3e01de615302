"""Client configuration: arguments, environment variables, headers and resource handling."""

import asyncio
from datetime import date, datetime, timezone
from typing import Dict, List

import httpx
import pytest

from _support import Server
from fluenzr import AsyncFluenzrClient, FluenzrClient
from fluenzr._call import camel, query_of
from fluenzr._exchange import parse_retry_after


def test_a_client_without_a_key_refuses_to_be_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUENZR_API_KEY", raising=False)
    with pytest.raises(ValueError, match="API key"):
        FluenzrClient()
    with pytest.raises(ValueError, match="API key"):
        AsyncFluenzrClient(api_key="")


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLUENZR_BASE_URL", raising=False)
    with FluenzrClient(api_key="flz_sk_x") as client:
        assert client.base_url == "http://127.0.0.1:8080/v1"
        assert client.max_retries == 3
    with pytest.raises(ValueError):
        FluenzrClient(api_key="k", max_retries=-1)
    with pytest.raises(ValueError):
        FluenzrClient(api_key="k", base_url="ftp://example.com")


def test_environment_variables_configure_the_client(
    server: Server, monkeypatch: pytest.MonkeyPatch, tag: str
) -> None:
    monkeypatch.setenv("FLUENZR_API_KEY", server.api_key)
    monkeypatch.setenv("FLUENZR_BASE_URL", server.base_url + "/")
    with FluenzrClient() as client:
        assert client.base_url == server.base_url
        created = client.contacts.create(email=f"env-{tag}@example.com")
        assert client.contacts.get(created["id"])["email"] == f"env-{tag}@example.com"
    monkeypatch.setenv("FLUENZR_API_KEY", "flz_sk_" + "b" * 32)
    with FluenzrClient(api_key=server.api_key) as explicit:  # arguments win over the env
        assert explicit.contacts.get(created["id"])["id"] == created["id"]


def test_headers_user_agent_and_a_given_http_client(server: Server) -> None:
    sent: List[Dict[str, str]] = []
    http = httpx.Client(event_hooks={"request": [lambda r: sent.append(dict(r.headers))]})
    client = FluenzrClient(api_key=server.api_key, base_url=server.base_url, http_client=http)
    client.contacts.list(per_page=1)
    client.close()
    assert not http.is_closed  # the caller's client stays open
    assert sent[0]["authorization"] == f"Bearer {server.api_key}"
    assert sent[0]["user-agent"].startswith("fluenzr-python/0.1.0 ")
    assert "idempotency-key" not in sent[0]  # only POSTs carry one

    custom = FluenzrClient(
        api_key=server.api_key, base_url=server.base_url, http_client=http, user_agent="crm-sync/2"
    )
    custom.contacts.list(per_page=1)
    assert sent[-1]["user-agent"] == "crm-sync/2"
    http.close()


def test_the_client_closes_its_own_http_client(server: Server) -> None:
    with FluenzrClient(api_key=server.api_key, base_url=server.base_url) as client:
        client.pipeline_stages.list()
    assert client._transport.client.is_closed

    async def run() -> bool:
        async with AsyncFluenzrClient(api_key=server.api_key, base_url=server.base_url) as c:
            await c.pipeline_stages.list()
        return c._transport.client.is_closed

    assert asyncio.run(run()) is True


def test_names_and_values_are_converted_for_the_api() -> None:
    assert camel("first_name") == "firstName"
    assert camel("email_account_id") == "emailAccountId"
    assert camel("per_page") == "perPage"
    assert camel("from_") == "from"
    assert camel("firstName") == "firstName"
    when = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
    assert query_of(None, {"group_ids": ["grp_a", "grp_b"], "flag": True, "to": when, "x": None}) == {
        "groupIds": "grp_a,grp_b", "flag": "true", "to": "2025-01-15T10:30:00Z",
    }
    assert query_of({"as_is": 1}, {}) == {"as_is": "1"}
    naive = datetime(2025, 1, 15, 10, 30)
    assert query_of(None, {"created_after": date(2025, 1, 15), "created_before": naive}) == {
        "createdAfter": "2025-01-15T00:00:00Z", "createdBefore": "2025-01-15T10:30:00Z",
    }


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now=1445412480.0) == 5.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
