"""``client.webhooks``: webhook endpoints, their delivery logs and test deliveries."""

from typing import Any, AsyncIterator, Iterator, Mapping, Optional

from .._call import Call, Page, make_call, merge_body, paged, path, query_of
from ..types import CreatedWebhook, Webhook, WebhookLog
from ._base import AsyncCrud, Body, CrudCalls, Query, SyncCrud


class _WebhookCalls(CrudCalls[Webhook]):
    _base = "/webhooks"

    def _logs_call(self, id: str, params: Mapping[str, str]) -> "Call[Page[WebhookLog]]":
        return make_call("GET", path("/webhooks/{}/logs", id), params=dict(params), kind="page")

    def _created_call(
        self, body: Body, fields: Mapping[str, Any], key: Optional[str]
    ) -> "Call[CreatedWebhook]":
        return make_call(
            "POST", "/webhooks", json_body=merge_body(body, fields), idempotency_key=key
        )

    def _test_call(self, id: str, key: Optional[str]) -> "Call[WebhookLog]":
        return make_call("POST", path("/webhooks/{}/test", id), idempotency_key=key)


class Webhooks(_WebhookCalls, SyncCrud[Webhook]):
    """Webhooks: ``list``, ``list_all``, ``create``, ``get``, ``update``, ``delete``,
    ``list_logs``, ``list_logs_all``, ``test``."""

    def create(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> CreatedWebhook:
        """Create a webhook: ``create(url=..., events=["contact.created"])``; the answer
        holds the signing ``secret``, returned only here."""
        return self._t.request(self._created_call(body, fields, idempotency_key))

    def list_logs(self, id: str, query: Query = None, /, **params: Any) -> Page[WebhookLog]:
        """One page of the webhook's delivery attempts (filter ``status``)."""
        return self._t.request(self._logs_call(id, query_of(query, params)))

    def list_logs_all(self, id: str, query: Query = None, /, **params: Any) -> Iterator[WebhookLog]:
        """Every delivery attempt of the webhook, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._logs_call(id, paged(base, n)))

    def test(self, id: str, /, *, idempotency_key: Optional[str] = None) -> WebhookLog:
        """Send a signed ``webhook.test`` event now; returns the delivery log entry."""
        return self._t.request(self._test_call(id, idempotency_key))


class AsyncWebhooks(_WebhookCalls, AsyncCrud[Webhook]):
    """The async twin of `Webhooks`."""

    async def create(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> CreatedWebhook:
        """Create a webhook; the answer holds the signing ``secret``, returned only here."""
        return await self._t.request(self._created_call(body, fields, idempotency_key))

    async def list_logs(self, id: str, query: Query = None, /, **params: Any) -> Page[WebhookLog]:
        """One page of the webhook's delivery attempts."""
        return await self._t.request(self._logs_call(id, query_of(query, params)))

    def list_logs_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> AsyncIterator[WebhookLog]:
        """Every delivery attempt of the webhook, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._logs_call(id, paged(base, n)))

    async def test(self, id: str, /, *, idempotency_key: Optional[str] = None) -> WebhookLog:
        """Send a signed ``webhook.test`` event now; returns the delivery log entry."""
        return await self._t.request(self._test_call(id, idempotency_key))
