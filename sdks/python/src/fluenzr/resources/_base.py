"""What every resource shares: list, list_all, create, get, update and delete.

`SyncCrud` and `AsyncCrud` expose the same methods over the same `Call` builders; only the
transport differs.
"""

from typing import Any, AsyncIterator, Generic, Iterator, Mapping, Optional, TypeVar

from .._call import Call, Page, make_call, merge_body, paged, path, query_of
from .._transport import AsyncTransport, SyncTransport
from ..types import Deleted

T = TypeVar("T")

Body = Optional[Mapping[str, Any]]
"""A JSON body given as one dict (sent as is) instead of keyword arguments."""
Query = Optional[Mapping[str, Any]]
"""A query string given as one dict (sent as is) instead of keyword arguments."""


class CrudCalls(Generic[T]):
    """The calls of a collection at ``_base`` (e.g. ``/contacts``) and its items."""

    _base = ""

    def _list_call(self, params: Mapping[str, str]) -> "Call[Page[T]]":
        return make_call("GET", self._base, params=dict(params), kind="page")

    def _create_call(self, body: Body, fields: Mapping[str, Any], key: Optional[str]) -> "Call[T]":
        return make_call(
            "POST", self._base, json_body=merge_body(body, fields), idempotency_key=key
        )

    def _get_call(self, id: str) -> "Call[T]":
        return make_call("GET", path(self._base + "/{}", id))

    def _update_call(self, id: str, body: Body, fields: Mapping[str, Any]) -> "Call[T]":
        return make_call("PUT", path(self._base + "/{}", id), json_body=merge_body(body, fields))

    def _delete_call(self, id: str) -> "Call[Deleted]":
        return make_call("DELETE", path(self._base + "/{}", id))


class SyncCrud(CrudCalls[T]):
    """List, create, get, update and delete over a sync transport."""

    def __init__(self, transport: SyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    def list(self, query: Query = None, /, **params: Any) -> Page[T]:
        """One page of items; filters, ``sort``, ``order``, ``page`` and ``per_page`` as
        keyword arguments. The result is a list with ``.meta``."""
        return self._t.request(self._list_call(query_of(query, params)))

    def list_all(self, query: Query = None, /, **params: Any) -> Iterator[T]:
        """Every item of every page (100 per page), with the same filters as `list`."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._list_call(paged(base, n)))

    def create(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> T:
        """Create an item from keyword arguments (snake_case names become camelCase) or a
        dict; the POST carries ``idempotency_key`` or a random one."""
        return self._t.request(self._create_call(body, fields, idempotency_key))

    def get(self, id: str, /) -> T:
        """One item by id; an unknown id raises `FluenzrError` 404 ``NOT_FOUND``."""
        return self._t.request(self._get_call(id))

    def update(self, id: str, body: Body = None, /, **fields: Any) -> T:
        """Change the given fields of an item and return it."""
        return self._t.request(self._update_call(id, body, fields))

    def delete(self, id: str, /) -> Deleted:
        """Delete an item; returns ``{"id": ..., "deleted": True}``."""
        return self._t.request(self._delete_call(id))


class AsyncCrud(CrudCalls[T]):
    """List, create, get, update and delete over an async transport."""

    def __init__(self, transport: AsyncTransport) -> None:
        """Bind the resource to a client's transport."""
        self._t = transport

    async def list(self, query: Query = None, /, **params: Any) -> Page[T]:
        """One page of items; filters, ``sort``, ``order``, ``page`` and ``per_page`` as
        keyword arguments. The result is a list with ``.meta``."""
        return await self._t.request(self._list_call(query_of(query, params)))

    def list_all(self, query: Query = None, /, **params: Any) -> AsyncIterator[T]:
        """Every item of every page (100 per page): ``async for item in ....list_all()``."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._list_call(paged(base, n)))

    async def create(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> T:
        """Create an item from keyword arguments (snake_case names become camelCase) or a
        dict; the POST carries ``idempotency_key`` or a random one."""
        return await self._t.request(self._create_call(body, fields, idempotency_key))

    async def get(self, id: str, /) -> T:
        """One item by id; an unknown id raises `FluenzrError` 404 ``NOT_FOUND``."""
        return await self._t.request(self._get_call(id))

    async def update(self, id: str, body: Body = None, /, **fields: Any) -> T:
        """Change the given fields of an item and return it."""
        return await self._t.request(self._update_call(id, body, fields))

    async def delete(self, id: str, /) -> Deleted:
        """Delete an item; returns ``{"id": ..., "deleted": True}``."""
        return await self._t.request(self._delete_call(id))
