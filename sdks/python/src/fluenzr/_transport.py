"""Thin sync and async transports: send a `Call` through its attempts with httpx.

All decisions (headers, retries, parsing) live in `Exchange`; these loops only send,
sleep and paginate.
"""

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Iterator, Optional, TypeVar, cast

import httpx

from ._call import Call, Page, has_next
from ._exchange import DEFAULT_TIMEOUT, Exchange, Settings

T = TypeVar("T")


class SyncTransport:
    """Sends calls with an `httpx.Client` (given, or built and owned by the SDK)."""

    def __init__(self, settings: Settings, http_client: Optional[httpx.Client]) -> None:
        """Use ``http_client`` as is, or build one with the configured timeout."""
        self.settings = settings
        self._owns_client = http_client is None
        if http_client is None:
            timeout = settings.timeout if settings.timeout is not None else DEFAULT_TIMEOUT
            http_client = httpx.Client(timeout=timeout)
        self.client = http_client

    def request(self, call: "Call[T]") -> T:
        """Send ``call``, retrying as `Exchange` decides, and return its parsed result."""
        exchange = Exchange(self.settings, call)
        while True:
            try:
                response = self.client.send(exchange.build(self.client))
            except httpx.RequestError as exc:
                time.sleep(exchange.error_delay(exc))
                continue
            delay = exchange.retry_delay(response)
            if delay is None:
                return cast(T, exchange.result(response))
            response.close()
            time.sleep(delay)

    def iterate(self, page_call: Callable[[int], "Call[Page[T]]"]) -> Iterator[T]:
        """Every item of every page; ``page_call(n)`` builds the call of page ``n``."""
        number = 1
        while True:
            page = self.request(page_call(number))
            yield from page
            if not has_next(page, number):
                return
            number += 1

    def close(self) -> None:
        """Close the HTTP client if the SDK built it."""
        if self._owns_client:
            self.client.close()


class AsyncTransport:
    """Sends calls with an `httpx.AsyncClient` (given, or built and owned by the SDK)."""

    def __init__(self, settings: Settings, http_client: Optional[httpx.AsyncClient]) -> None:
        """Use ``http_client`` as is, or build one with the configured timeout."""
        self.settings = settings
        self._owns_client = http_client is None
        if http_client is None:
            timeout = settings.timeout if settings.timeout is not None else DEFAULT_TIMEOUT
            http_client = httpx.AsyncClient(timeout=timeout)
        self.client = http_client

    async def request(self, call: "Call[T]") -> T:
        """Send ``call``, retrying as `Exchange` decides, and return its parsed result."""
        exchange = Exchange(self.settings, call)
        while True:
            try:
                response = await self.client.send(exchange.build(self.client))
            except httpx.RequestError as exc:
                await asyncio.sleep(exchange.error_delay(exc))
                continue
            delay = exchange.retry_delay(response)
            if delay is None:
                result: Any = exchange.result(response)
                return cast(T, result)
            await response.aclose()
            await asyncio.sleep(delay)

    async def iterate(self, page_call: Callable[[int], "Call[Page[T]]"]) -> AsyncIterator[T]:
        """Every item of every page; ``page_call(n)`` builds the call of page ``n``."""
        number = 1
        while True:
            page = await self.request(page_call(number))
            for item in page:
                yield item
            if not has_next(page, number):
                return
            number += 1

    async def close(self) -> None:
        """Close the HTTP client if the SDK built it."""
        if self._owns_client:
            await self.client.aclose()
