"""``client.sandbox`` (mail kept by sandbox accounts) and ``client.pipeline_stages``."""

from typing import Any, AsyncIterator, Iterator, List, Mapping

from .._call import Call, Page, make_call, paged, path, query_of
from .._transport import AsyncTransport, SyncTransport
from ..types import Cleared, PipelineStage, SandboxMessage, SandboxMessageSummary
from ._base import Query


class _SandboxCalls:
    def _list_call(self, params: Mapping[str, str]) -> "Call[Page[SandboxMessageSummary]]":
        return make_call("GET", "/sandbox/messages", params=dict(params), kind="page")

    def _get_call(self, id: str) -> "Call[SandboxMessage]":
        return make_call("GET", path("/sandbox/messages/{}", id))

    def _clear_call(self) -> "Call[Cleared]":
        return make_call("DELETE", "/sandbox/messages")


class Sandbox(_SandboxCalls):
    """Messages captured by sandbox email accounts (``smtp={"host": "sandbox"}``)."""

    def __init__(self, transport: SyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    def list_messages(self, query: Query = None, /, **params: Any) -> Page[SandboxMessageSummary]:
        """One page of kept messages, newest first (``page``, ``per_page``)."""
        return self._t.request(self._list_call(query_of(query, params)))

    def list_messages_all(
        self, query: Query = None, /, **params: Any
    ) -> Iterator[SandboxMessageSummary]:
        """Every kept message, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._list_call(paged(base, n)))

    def get_message(self, id: str, /) -> SandboxMessage:
        """One kept message with its headers, HTML, text and raw source."""
        return self._t.request(self._get_call(id))

    def delete_messages(self) -> Cleared:
        """Delete every kept message; returns ``{"deleted": <count>}``."""
        return self._t.request(self._clear_call())


class AsyncSandbox(_SandboxCalls):
    """The async twin of `Sandbox`."""

    def __init__(self, transport: AsyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    async def list_messages(
        self, query: Query = None, /, **params: Any
    ) -> Page[SandboxMessageSummary]:
        """One page of kept messages, newest first."""
        return await self._t.request(self._list_call(query_of(query, params)))

    def list_messages_all(
        self, query: Query = None, /, **params: Any
    ) -> AsyncIterator[SandboxMessageSummary]:
        """Every kept message, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._list_call(paged(base, n)))

    async def get_message(self, id: str, /) -> SandboxMessage:
        """One kept message with its content."""
        return await self._t.request(self._get_call(id))

    async def delete_messages(self) -> Cleared:
        """Delete every kept message; returns ``{"deleted": <count>}``."""
        return await self._t.request(self._clear_call())


def _stages_call() -> "Call[List[PipelineStage]]":
    return make_call("GET", "/pipeline-stages", kind="list")


class PipelineStages:
    """The workspace's pipeline stages."""

    def __init__(self, transport: SyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    def list(self) -> List[PipelineStage]:
        """Every stage in order (a plain list: this answer is not paginated)."""
        return self._t.request(_stages_call())


class AsyncPipelineStages:
    """The async twin of `PipelineStages`."""

    def __init__(self, transport: AsyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    async def list(self) -> List[PipelineStage]:
        """Every stage in order (a plain list: this answer is not paginated)."""
        return await self._t.request(_stages_call())
