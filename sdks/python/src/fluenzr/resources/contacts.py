"""``client.contacts``: contacts, their groups and tags, bulk create, search, CSV import/export."""

from typing import Any, AsyncIterator, Iterator, Mapping, Optional, Union

from .._call import Call, Page, make_call, merge_body, paged, path, query_of
from ..types import BulkResult, Contact
from ._base import AsyncCrud, Body, CrudCalls, Query, SyncCrud

CsvInput = Union[str, bytes]
"""CSV text (UTF-8 when given as bytes) with a header row."""


class _ContactCalls(CrudCalls[Contact]):
    _base = "/contacts"

    def _bulk_call(self, body: Body, fields: Mapping[str, Any], key: Optional[str]) -> "Call[BulkResult]":
        return make_call(
            "POST", "/contacts/bulk", json_body=merge_body(body, fields), idempotency_key=key
        )

    def _search_call(
        self, body: Body, fields: Mapping[str, Any], params: Mapping[str, str], key: Optional[str]
    ) -> "Call[Page[Contact]]":
        return make_call(
            "POST",
            "/contacts/search",
            params=dict(params),
            json_body=merge_body(body, fields),
            idempotency_key=key,
            kind="page",
        )

    def _import_call(
        self, csv: CsvInput, params: Mapping[str, str], key: Optional[str]
    ) -> "Call[BulkResult]":
        if not isinstance(csv, (str, bytes)):
            raise TypeError("the CSV must be str or bytes")
        content = csv.encode("utf-8") if isinstance(csv, str) else csv
        return make_call(
            "POST",
            "/contacts/import",
            params=dict(params),
            content=content,
            content_type="text/csv; charset=utf-8",
            idempotency_key=key,
        )

    def _export_call(self, params: Mapping[str, str]) -> "Call[str]":
        return make_call("GET", "/contacts/export", params=dict(params), kind="text")

    def _membership_call(
        self, method: str, id: str, what: str, body: Body, fields: Mapping[str, Any],
        key: Optional[str] = None,
    ) -> "Call[Contact]":
        return make_call(
            method,
            path("/contacts/{}/" + what, id),
            json_body=merge_body(body, fields),
            idempotency_key=key,
        )


class Contacts(_ContactCalls, SyncCrud[Contact]):
    """Contacts: ``list``, ``list_all``, ``create``, ``get``, ``update``, ``delete``, ``bulk``,
    ``search``, ``search_all``, ``import_csv``, ``export_csv``, ``add_to_groups``,
    ``remove_from_groups``, ``add_tags``, ``remove_tags``."""

    def bulk(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> BulkResult:
        """Create up to 1000 contacts: ``bulk(contacts=[{...}], group_ids=[...],
        on_duplicate="skip"|"update")``; each contact dict is sent as is."""
        return self._t.request(self._bulk_call(body, fields, idempotency_key))

    def search(
        self,
        body: Body = None,
        /,
        *,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Page[Contact]:
        """One page of a search: ``search(query="ada", filters={...}, sort={...})``."""
        params = query_of(None, {"page": page, "per_page": per_page})
        return self._t.request(self._search_call(body, fields, params, idempotency_key))

    def search_all(self, body: Body = None, /, **fields: Any) -> Iterator[Contact]:
        """Every contact matching a search, over every page (100 per page)."""
        return self._t.iterate(lambda n: self._search_call(body, fields, paged({}, n), None))

    def import_csv(
        self, csv: CsvInput, /, *, idempotency_key: Optional[str] = None, **query: Any
    ) -> BulkResult:
        """Import contacts from CSV text; ``on_duplicate="skip"|"update"``, ``group_ids``
        (a list or a comma-separated string)."""
        return self._t.request(self._import_call(csv, query_of(None, query), idempotency_key))

    def export_csv(self, query: Query = None, /, **params: Any) -> str:
        """The contacts matching the filters as CSV text (with a header row)."""
        return self._t.request(self._export_call(query_of(query, params)))

    def add_to_groups(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Contact:
        """Add the contact to groups: ``add_to_groups(id, group_ids=[...])``."""
        call = self._membership_call("POST", id, "groups", body, fields, idempotency_key)
        return self._t.request(call)

    def remove_from_groups(self, id: str, body: Body = None, /, **fields: Any) -> Contact:
        """Remove the contact from groups: ``remove_from_groups(id, group_ids=[...])``."""
        return self._t.request(self._membership_call("DELETE", id, "groups", body, fields))

    def add_tags(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Contact:
        """Add tags to the contact: ``add_tags(id, tags=["vip"])``."""
        call = self._membership_call("POST", id, "tags", body, fields, idempotency_key)
        return self._t.request(call)

    def remove_tags(self, id: str, body: Body = None, /, **fields: Any) -> Contact:
        """Remove tags from the contact: ``remove_tags(id, tags=["vip"])``."""
        return self._t.request(self._membership_call("DELETE", id, "tags", body, fields))


class AsyncContacts(_ContactCalls, AsyncCrud[Contact]):
    """The async twin of `Contacts`: the same methods, awaited; ``list_all`` and
    ``search_all`` are async iterators."""

    async def bulk(
        self, body: Body = None, /, *, idempotency_key: Optional[str] = None, **fields: Any
    ) -> BulkResult:
        """Create up to 1000 contacts (see `Contacts.bulk`)."""
        return await self._t.request(self._bulk_call(body, fields, idempotency_key))

    async def search(
        self,
        body: Body = None,
        /,
        *,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Page[Contact]:
        """One page of a search (see `Contacts.search`)."""
        params = query_of(None, {"page": page, "per_page": per_page})
        return await self._t.request(self._search_call(body, fields, params, idempotency_key))

    def search_all(self, body: Body = None, /, **fields: Any) -> AsyncIterator[Contact]:
        """Every contact matching a search, over every page (100 per page)."""
        return self._t.iterate(lambda n: self._search_call(body, fields, paged({}, n), None))

    async def import_csv(
        self, csv: CsvInput, /, *, idempotency_key: Optional[str] = None, **query: Any
    ) -> BulkResult:
        """Import contacts from CSV text (see `Contacts.import_csv`)."""
        call = self._import_call(csv, query_of(None, query), idempotency_key)
        return await self._t.request(call)

    async def export_csv(self, query: Query = None, /, **params: Any) -> str:
        """The contacts matching the filters as CSV text."""
        return await self._t.request(self._export_call(query_of(query, params)))

    async def add_to_groups(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Contact:
        """Add the contact to groups: ``add_to_groups(id, group_ids=[...])``."""
        call = self._membership_call("POST", id, "groups", body, fields, idempotency_key)
        return await self._t.request(call)

    async def remove_from_groups(self, id: str, body: Body = None, /, **fields: Any) -> Contact:
        """Remove the contact from groups."""
        return await self._t.request(self._membership_call("DELETE", id, "groups", body, fields))

    async def add_tags(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Contact:
        """Add tags to the contact: ``add_tags(id, tags=["vip"])``."""
        call = self._membership_call("POST", id, "tags", body, fields, idempotency_key)
        return await self._t.request(call)

    async def remove_tags(self, id: str, body: Body = None, /, **fields: Any) -> Contact:
        """Remove tags from the contact."""
        return await self._t.request(self._membership_call("DELETE", id, "tags", body, fields))
