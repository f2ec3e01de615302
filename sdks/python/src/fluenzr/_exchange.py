"""Configuration, request building, retry decisions and answer parsing.

Everything here is free of I/O so the sync and async transports share it and differ only
in how they send and sleep.
"""

import email.utils
import json
import os
import platform
import random
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union, cast

import httpx

from ._call import Call, Page
from ._version import __version__
from .errors import FluenzrError
from .types import PageMeta

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
"""The base URL used when neither ``base_url`` nor ``FLUENZR_BASE_URL`` is given."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a request may take when the SDK builds its own HTTP client."""
DEFAULT_MAX_RETRIES = 3
"""Retries after the first attempt."""
RETRY_STATUSES = frozenset({500, 502, 503, 504})
"""Statuses retried with backoff (429 is retried after ``Retry-After``)."""
MAX_BACKOFF = 8.0
"""The longest backoff between two attempts, in seconds."""


def default_user_agent() -> str:
    """``fluenzr-python/<version> httpx/<version> python/<version>``."""
    return (
        f"fluenzr-python/{__version__} httpx/{httpx.__version__} "
        f"python/{platform.python_version()}"
    )


@dataclass(frozen=True)
class Settings:
    """A client's resolved options."""

    api_key: str
    base_url: str
    max_retries: int
    timeout: Optional[float]
    user_agent: str

    @classmethod
    def resolve(
        cls,
        api_key: Optional[str],
        base_url: Optional[str],
        max_retries: int,
        timeout: Optional[float],
        user_agent: Optional[str],
    ) -> "Settings":
        """Fill the options from ``FLUENZR_API_KEY`` / ``FLUENZR_BASE_URL`` and check them."""
        key = api_key if api_key is not None else os.environ.get("FLUENZR_API_KEY")
        if not key:
            raise ValueError(
                "An API key is required: pass api_key=... or set FLUENZR_API_KEY"
            )
        url = base_url or os.environ.get("FLUENZR_BASE_URL") or DEFAULT_BASE_URL
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {url!r}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be a non-negative integer")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        return cls(key, url.rstrip("/"), max_retries, timeout, user_agent or default_user_agent())


def backoff(retry: int) -> float:
    """The pause before retry number ``retry`` (0-based): 0.5 s, 1 s, 2 s... capped at 8 s,
    with +/-25 % jitter."""
    base = min(MAX_BACKOFF, 0.5 * (2.0 ** retry))
    return min(MAX_BACKOFF, base * random.uniform(0.75, 1.25))


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class Exchange:
    """One call through its attempts: builds each request, decides on retries, parses."""

    def __init__(self, settings: Settings, call: "Call[Any]") -> None:
        """Start the attempts of ``call``."""
        self.settings = settings
        self.call = call
        self.retries = 0

    def build(self, client: Union[httpx.Client, httpx.AsyncClient]) -> httpx.Request:
        """The request of the next attempt: identical on every attempt, key included."""
        call = self.call
        headers = {
            "Authorization": f"Bearer {self.settings.api_key}",
            "Accept": "application/json",
            "User-Agent": self.settings.user_agent,
        }
        if call.content_type is not None:
            headers["Content-Type"] = call.content_type
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        if self.settings.timeout is not None:
            timeout = self.settings.timeout
        return client.build_request(
            call.method,
            self.settings.base_url + call.path,
            params=call.params,
            content=call.body,
            headers=headers,
            timeout=timeout,
        )

    def retry_delay(self, response: httpx.Response) -> Optional[float]:
        """Seconds to wait before retrying after ``response``, or None to settle on it."""
        status = response.status_code
        if self.retries >= self.settings.max_retries:
            return None
        if status == 429:
            delay = parse_retry_after(response.headers.get("Retry-After"))
            if delay is None:
                delay = backoff(self.retries)
        elif status in RETRY_STATUSES:
            delay = backoff(self.retries)
        else:
            return None
        self.retries += 1
        return delay

    def error_delay(self, exc: httpx.RequestError) -> float:
        """Seconds to wait before retrying after a network error; raises `FluenzrError`
        when it is not retryable or the retries are spent."""
        error = self.network_error(exc)
        retryable = isinstance(exc, httpx.TransportError) and not isinstance(
            exc, httpx.UnsupportedProtocol
        )
        if not retryable or self.retries >= self.settings.max_retries:
            raise error from exc
        delay = backoff(self.retries)
        self.retries += 1
        return delay

    def network_error(self, exc: httpx.RequestError) -> FluenzrError:
        """The error for a request that got no usable answer."""
        where = f"{self.call.method} {self.call.path}"
        if isinstance(exc, httpx.TimeoutException):
            return FluenzrError(f"{where} timed out: {exc!r}", status=0, code="TIMEOUT")
        if isinstance(exc, httpx.TransportError):
            return FluenzrError(f"{where} failed: {exc!r}", status=0, code="NETWORK_ERROR")
        return FluenzrError(f"{where}: {exc!r}", status=0, code="INVALID_RESPONSE")

    def result(self, response: httpx.Response) -> Any:
        """The call's result from a final answer, or raise its `FluenzrError`."""
        return parse_answer(self.call, response.status_code, response.headers, response.content)


def _invalid(status: int, headers: Mapping[str, str], why: str) -> FluenzrError:
    return FluenzrError(
        f"HTTP {status}: {why}",
        status=status,
        code="INVALID_RESPONSE",
        headers=headers,
        request_id=headers.get("x-request-id"),
    )


def parse_answer(
    call: "Call[Any]", status: int, headers: Mapping[str, str], content: bytes
) -> Any:
    """The ``data`` of a 2xx envelope (a `Page` for lists, text for CSV); any other answer
    raises `FluenzrError`."""
    if 200 <= status < 300 and call.kind == "text":
        return content.decode("utf-8", errors="replace")
    try:
        payload = json.loads(content.decode("utf-8")) if content else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        raise _invalid(status, headers, "the answer is not the API's JSON envelope")
    if not 200 <= status < 300:
        error = payload.get("error")
        if (
            payload.get("success") is False
            and isinstance(error, dict)
            and isinstance(error.get("code"), str)
            and isinstance(error.get("message"), str)
        ):
            raise FluenzrError(
                error["message"],
                status=status,
                code=error["code"],
                details=error.get("details"),
                headers=headers,
                request_id=headers.get("x-request-id"),
            )
        raise _invalid(status, headers, "the answer is not the API's error envelope")
    if payload.get("success") is not True or "data" not in payload:
        raise _invalid(status, headers, "the answer is not the API's success envelope")
    data = payload["data"]
    if call.kind == "page":
        meta = payload.get("meta")
        if not isinstance(data, list) or not isinstance(meta, dict):
            raise _invalid(status, headers, "a list answer without a list and its meta")
        return Page(data, cast(PageMeta, meta))
    if call.kind == "list" and not isinstance(data, list):
        raise _invalid(status, headers, "expected a list in data")
    return data
