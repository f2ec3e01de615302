"""``client.campaigns``: campaigns, their life cycle, contacts, statistics and activity."""

from typing import Any, AsyncIterator, Iterator, List, Mapping, Optional

from .._call import Call, Page, make_call, merge_body, paged, path, query_of
from ..types import (
    Activity,
    AddCampaignContactsResult,
    Campaign,
    CampaignContact,
    CampaignStats,
    EmailStats,
    Forecast,
    Preview,
    RemoveCampaignContactsResult,
    TimelineBucket,
)
from ._base import AsyncCrud, Body, CrudCalls, Query, SyncCrud


class _CampaignCalls(CrudCalls[Campaign]):
    _base = "/campaigns"

    def _action_call(self, id: str, action: str, key: Optional[str]) -> "Call[Campaign]":
        return make_call("POST", path("/campaigns/{}/" + action, id), idempotency_key=key)

    def _get_call_of(self, id: str, what: str, params: Mapping[str, str], kind: str) -> "Call[Any]":
        return make_call("GET", path("/campaigns/{}/" + what, id), params=dict(params), kind=kind)

    def _preview_call(self, id: str, params: Mapping[str, str]) -> "Call[Preview]":
        return self._get_call_of(id, "preview", params, "data")

    def _forecast_call(self, id: str, params: Mapping[str, str]) -> "Call[Forecast]":
        return self._get_call_of(id, "forecast", params, "data")

    def _stats_call(self, id: str) -> "Call[CampaignStats]":
        return self._get_call_of(id, "stats", {}, "data")

    def _email_stats_call(self, id: str) -> "Call[List[EmailStats]]":
        return self._get_call_of(id, "stats/emails", {}, "list")

    def _timeline_call(self, id: str, params: Mapping[str, str]) -> "Call[List[TimelineBucket]]":
        return self._get_call_of(id, "stats/timeline", params, "list")

    def _contacts_call(self, id: str, params: Mapping[str, str]) -> "Call[Page[CampaignContact]]":
        return self._get_call_of(id, "contacts", params, "page")

    def _activity_call(self, id: str, params: Mapping[str, str]) -> "Call[Page[Activity]]":
        return self._get_call_of(id, "activity", params, "page")

    def _add_call(
        self, id: str, body: Body, fields: Mapping[str, Any], key: Optional[str]
    ) -> "Call[AddCampaignContactsResult]":
        return make_call(
            "POST", path("/campaigns/{}/contacts", id), json_body=merge_body(body, fields),
            idempotency_key=key,
        )

    def _remove_call(
        self, id: str, body: Body, fields: Mapping[str, Any]
    ) -> "Call[RemoveCampaignContactsResult]":
        return make_call(
            "DELETE", path("/campaigns/{}/contacts", id), json_body=merge_body(body, fields)
        )


class Campaigns(_CampaignCalls, SyncCrud[Campaign]):
    """Campaigns. ``settings`` and ``workflow`` are nested dicts sent unchanged (camelCase
    inside: ``{"sendDays": [...], "sendHoursStart": 9, ...}``)."""

    def start(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Start a draft campaign (``active``); on an active campaign it changes nothing."""
        return self._t.request(self._action_call(id, "start", idempotency_key))

    def pause(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Pause an active campaign (``paused``)."""
        return self._t.request(self._action_call(id, "pause", idempotency_key))

    def resume(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Resume a paused campaign (``active``)."""
        return self._t.request(self._action_call(id, "resume", idempotency_key))

    def archive(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Archive a completed or paused campaign (``archived``)."""
        return self._t.request(self._action_call(id, "archive", idempotency_key))

    def list_contacts(
        self, id: str, query: Query = None, /, **params: Any
    ) -> Page[CampaignContact]:
        """One page of enrolled contacts and their progress (filter ``status``)."""
        return self._t.request(self._contacts_call(id, query_of(query, params)))

    def list_contacts_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> Iterator[CampaignContact]:
        """Every enrolled contact, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._contacts_call(id, paged(base, n)))

    def add_contacts(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> AddCampaignContactsResult:
        """Enrol contacts with one of ``contact_ids=[...]``, ``group_ids=[...]``,
        ``group_id=...`` or ``filters={...}``."""
        return self._t.request(self._add_call(id, body, fields, idempotency_key))

    def remove_contacts(
        self, id: str, body: Body = None, /, **fields: Any
    ) -> RemoveCampaignContactsResult:
        """Remove contacts from the campaign: ``remove_contacts(id, contact_ids=[...])``."""
        return self._t.request(self._remove_call(id, body, fields))

    def preview(self, id: str, query: Query = None, /, **params: Any) -> Preview:
        """Render an email node (``node_id``) for a contact (``contact_id``) or sample data."""
        return self._t.request(self._preview_call(id, query_of(query, params)))

    def forecast(self, id: str, query: Query = None, /, **params: Any) -> Forecast:
        """Who gets which email when (``limit``)."""
        return self._t.request(self._forecast_call(id, query_of(query, params)))

    def get_stats(self, id: str, /) -> CampaignStats:
        """Counters and rates (``openRate``, ``replyRate``... in percent)."""
        return self._t.request(self._stats_call(id))

    def get_email_stats(self, id: str, /) -> List[EmailStats]:
        """One row of figures per email node."""
        return self._t.request(self._email_stats_call(id))

    def get_timeline(self, id: str, query: Query = None, /, **params: Any) -> List[TimelineBucket]:
        """Counts per ``interval`` (``hour``, ``day``, ``week``) between ``from_`` and ``to``."""
        return self._t.request(self._timeline_call(id, query_of(query, params)))

    def list_activity(self, id: str, query: Query = None, /, **params: Any) -> Page[Activity]:
        """One page of events (filters ``type``, ``contact_id``, ``from_``, ``to``)."""
        return self._t.request(self._activity_call(id, query_of(query, params)))

    def list_activity_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> Iterator[Activity]:
        """Every event, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._activity_call(id, paged(base, n)))


class AsyncCampaigns(_CampaignCalls, AsyncCrud[Campaign]):
    """The async twin of `Campaigns`."""

    async def start(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Start a draft campaign (``active``)."""
        return await self._t.request(self._action_call(id, "start", idempotency_key))

    async def pause(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Pause an active campaign (``paused``)."""
        return await self._t.request(self._action_call(id, "pause", idempotency_key))

    async def resume(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Resume a paused campaign (``active``)."""
        return await self._t.request(self._action_call(id, "resume", idempotency_key))

    async def archive(self, id: str, /, *, idempotency_key: Optional[str] = None) -> Campaign:
        """Archive a completed or paused campaign (``archived``)."""
        return await self._t.request(self._action_call(id, "archive", idempotency_key))

    async def list_contacts(
        self, id: str, query: Query = None, /, **params: Any
    ) -> Page[CampaignContact]:
        """One page of enrolled contacts and their progress."""
        return await self._t.request(self._contacts_call(id, query_of(query, params)))

    def list_contacts_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> AsyncIterator[CampaignContact]:
        """Every enrolled contact, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._contacts_call(id, paged(base, n)))

    async def add_contacts(
        self, id: str, body: Body = None, /, *, idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> AddCampaignContactsResult:
        """Enrol contacts (see `Campaigns.add_contacts`)."""
        return await self._t.request(self._add_call(id, body, fields, idempotency_key))

    async def remove_contacts(
        self, id: str, body: Body = None, /, **fields: Any
    ) -> RemoveCampaignContactsResult:
        """Remove contacts from the campaign."""
        return await self._t.request(self._remove_call(id, body, fields))

    async def preview(self, id: str, query: Query = None, /, **params: Any) -> Preview:
        """Render an email node for a contact or sample data."""
        return await self._t.request(self._preview_call(id, query_of(query, params)))

    async def forecast(self, id: str, query: Query = None, /, **params: Any) -> Forecast:
        """Who gets which email when."""
        return await self._t.request(self._forecast_call(id, query_of(query, params)))

    async def get_stats(self, id: str, /) -> CampaignStats:
        """Counters and rates."""
        return await self._t.request(self._stats_call(id))

    async def get_email_stats(self, id: str, /) -> List[EmailStats]:
        """One row of figures per email node."""
        return await self._t.request(self._email_stats_call(id))

    async def get_timeline(
        self, id: str, query: Query = None, /, **params: Any
    ) -> List[TimelineBucket]:
        """Counts per interval."""
        return await self._t.request(self._timeline_call(id, query_of(query, params)))

    async def list_activity(
        self, id: str, query: Query = None, /, **params: Any
    ) -> Page[Activity]:
        """One page of events."""
        return await self._t.request(self._activity_call(id, query_of(query, params)))

    def list_activity_all(
        self, id: str, query: Query = None, /, **params: Any
    ) -> AsyncIterator[Activity]:
        """Every event, over every page (100 per page)."""
        base = query_of(query, params)
        return self._t.iterate(lambda n: self._activity_call(id, paged(base, n)))
