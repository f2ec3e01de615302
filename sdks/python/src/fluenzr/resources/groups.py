"""``client.groups``: groups and their members."""

from typing import Any, AsyncIterator, Iterator, Mapping, Optional

from .._call import Call, Page, make_call, merge_body, paged, path, query_of
from ..types import AddMembersResult, Contact, Group, RemoveMembersResult
from ._base import AsyncCrud, Body, CrudCalls, Query, SyncCrud


class _GroupCalls(CrudCalls[Group]):
    _base = "/groups"

    def _contacts_call(self, id: str, params: Mapping[str, str]) -> "Call[Page[Contact]]":
        return make_call("GET", path("/groups/{}/contacts", id), params=dict(params), kind="page")

    def _add_call(
        self, id: str, body: Body, fields: Mapping[str, Any], key: Optional[str]
    ) -> "Call[AddMembersResult]":
        return make_call(
            "POST", path("/groups/{}/contacts", id), json_body=merge_body(body, fields),
            idempotency_key=key,
        )

    def _remove_call(
        self, id: str, body: Body, fields: Mapping[str, Any]
    ) -> "Call[RemoveMembersResult]":
        return make_call(
            "DELETE", path("/groups/{}/contacts", id), json_body=merge_body(body, fields)
        )


class Groups(_GroupCalls, SyncCrud[Group]):
    """Groups: ``list``, ``list_all``, ``create``, ``get``, ``update``, ``delete``,
    ``list_contacts``, ``list_contacts_all``, ``add_contacts``, ``remove_contacts``."""

    def list_contacts(self, id: str, query: Query = None, /, **params: Any) -> Page[Contact]:
        """One page of the group's contacts (``page``, ``per_page``, ``sort``, ``order``)."""
        return self._t.request(self._contacts_call(id, query_of(query, params)))

    def list_contacts_all(self, id: str, query: Query = None, /, **params: Any) -> Iterator[Contact]:
        """Every contact of the group, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._contacts_call(id, paged(base, n)))

    def add_contacts(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> AddMembersResult:
        """Add contacts to the group: ``add_contacts(id, contact_ids=[...])``."""
        return self._t.request(self._add_call(id, body, fields, idempotency_key))

    def remove_contacts(self, id: str, body: Body = None, /, **fields: Any) -> RemoveMembersResult:
        """Remove contacts from the group: ``remove_contacts(id, contact_ids=[...])``."""
        return self._t.request(self._remove_call(id, body, fields))


class AsyncGroups(_GroupCalls, AsyncCrud[Group]):
    """The async twin of `Groups`."""

    async def list_contacts(self, id: str, query: Query = None, /, **params: Any) -> Page[Contact]:
        """One page of the group's contacts."""
        return await self._t.request(self._contacts_call(id, query_of(query, params)))

    def list_contacts_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> AsyncIterator[Contact]:
        """Every contact of the group, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._contacts_call(id, paged(base, n)))

    async def add_contacts(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> AddMembersResult:
        """Add contacts to the group: ``add_contacts(id, contact_ids=[...])``."""
        return await self._t.request(self._add_call(id, body, fields, idempotency_key))

    async def remove_contacts(
        self, id: str, body: Body = None, /, **fields: Any
    ) -> RemoveMembersResult:
        """Remove contacts from the group."""
        return await self._t.request(self._remove_call(id, body, fields))
