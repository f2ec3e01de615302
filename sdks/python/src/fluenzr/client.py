"""`FluenzrClient` (sync) and `AsyncFluenzrClient` (async): the entry points of the SDK."""

from types import TracebackType
from typing import Optional, Type

import httpx

from ._exchange import DEFAULT_MAX_RETRIES, Settings
from ._transport import AsyncTransport, SyncTransport
from .resources.campaigns import AsyncCampaigns, Campaigns
from .resources.contacts import AsyncContacts, Contacts
from .resources.email_accounts import AsyncEmailAccounts, EmailAccounts
from .resources.groups import AsyncGroups, Groups
from .resources.sandbox import AsyncPipelineStages, AsyncSandbox, PipelineStages, Sandbox
from .resources.webhooks import AsyncWebhooks, Webhooks


class FluenzrClient:
    """A synchronous client of the ``/v1`` API.

    ``api_key`` defaults to ``FLUENZR_API_KEY`` (a client without a key raises
    ``ValueError``); ``base_url`` to ``FLUENZR_BASE_URL``, then ``http://127.0.0.1:8080/v1``.
    ``max_retries`` bounds retries after 429, 500, 502, 503, 504, network errors and timeouts;
    ``timeout`` is in seconds (30 when the SDK builds the HTTP client; a given ``http_client``
    keeps its own unless ``timeout`` is set). A given ``http_client`` is not closed by `close`.
    Use it as a context manager, or call `close` when done.
    """

    contacts: Contacts
    """Contacts, their groups and tags, bulk create, search, CSV import and export."""
    groups: Groups
    """Groups and their members."""
    campaigns: Campaigns
    """Campaigns, their life cycle, contacts, statistics and activity."""
    email_accounts: EmailAccounts
    """Sending accounts and their connection test."""
    webhooks: Webhooks
    """Webhooks, their delivery logs and test deliveries."""
    sandbox: Sandbox
    """Messages kept by sandbox email accounts."""
    pipeline_stages: PipelineStages
    """The workspace's pipeline stages."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: Optional[float] = None,
        http_client: Optional[httpx.Client] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        """Build a client; see the class documentation for the options."""
        settings = Settings.resolve(api_key, base_url, max_retries, timeout, user_agent)
        self._transport = SyncTransport(settings, http_client)
        self.contacts = Contacts(self._transport)
        self.groups = Groups(self._transport)
        self.campaigns = Campaigns(self._transport)
        self.email_accounts = EmailAccounts(self._transport)
        self.webhooks = Webhooks(self._transport)
        self.sandbox = Sandbox(self._transport)
        self.pipeline_stages = PipelineStages(self._transport)

    @property
    def base_url(self) -> str:
        """The base URL every path is appended to (without a trailing slash)."""
        return self._transport.settings.base_url

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._transport.settings.max_retries

    def close(self) -> None:
        """Close the HTTP client (unless it was given as ``http_client``)."""
        self._transport.close()

    def __enter__(self) -> "FluenzrClient":
        """``with FluenzrClient(...) as client:`` closes the client at the end."""
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Close the client."""
        self.close()


class AsyncFluenzrClient:
    """An asynchronous client of the ``/v1`` API, with the same options and resources as
    `FluenzrClient`; every method is awaited and ``list_all()`` is used with ``async for``.
    Use it as ``async with AsyncFluenzrClient(...) as client:`` or ``await client.close()``.
    """

    contacts: AsyncContacts
    """Contacts, their groups and tags, bulk create, search, CSV import and export."""
    groups: AsyncGroups
    """Groups and their members."""
    campaigns: AsyncCampaigns
    """Campaigns, their life cycle, contacts, statistics and activity."""
    email_accounts: AsyncEmailAccounts
    """Sending accounts and their connection test."""
    webhooks: AsyncWebhooks
    """Webhooks, their delivery logs and test deliveries."""
    sandbox: AsyncSandbox
    """Messages kept by sandbox email accounts."""
    pipeline_stages: AsyncPipelineStages
    """The workspace's pipeline stages."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: Optional[float] = None,
        http_client: Optional[httpx.AsyncClient] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        """Build a client; see `FluenzrClient` for the options."""
        settings = Settings.resolve(api_key, base_url, max_retries, timeout, user_agent)
        self._transport = AsyncTransport(settings, http_client)
        self.contacts = AsyncContacts(self._transport)
        self.groups = AsyncGroups(self._transport)
        self.campaigns = AsyncCampaigns(self._transport)
        self.email_accounts = AsyncEmailAccounts(self._transport)
        self.webhooks = AsyncWebhooks(self._transport)
        self.sandbox = AsyncSandbox(self._transport)
        self.pipeline_stages = AsyncPipelineStages(self._transport)

    @property
    def base_url(self) -> str:
        """The base URL every path is appended to (without a trailing slash)."""
        return self._transport.settings.base_url

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._transport.settings.max_retries

    async def close(self) -> None:
        """Close the HTTP client (unless it was given as ``http_client``)."""
        await self._transport.close()

    async def __aenter__(self) -> "AsyncFluenzrClient":
        """``async with AsyncFluenzrClient(...) as client:`` closes the client at the end."""
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Close the client."""
        await self.close()
