"""One API call described without doing any I/O: shared by the sync and async clients.

Resources build a `Call` (method, path, query, body bytes, idempotency key, what the answer
holds); a transport sends it, retries it and parses the answer. Keyword arguments become the
API's camelCase names here.
"""

import datetime as _dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Generic, Iterable, List, Mapping, Optional, TypeVar
from urllib.parse import quote

from .types import PageMeta

T = TypeVar("T")

Params = Dict[str, str]
"""An encoded query string: camelCase names to string values."""


class Page(List[T]):
    """The items of one page of a list answer; ``meta`` holds ``page``, ``perPage``,
    ``total`` and ``totalPages``. It is a ``list``: index it, iterate it, take its ``len``.
    """

    meta: PageMeta
    """The answer's ``meta``."""

    def __init__(self, items: Iterable[T], meta: PageMeta) -> None:
        """A page of ``items`` with its ``meta``."""
        super().__init__(items)
        self.meta = meta

    def __repr__(self) -> str:
        """``Page([...], meta={...})``."""
        return f"Page({list.__repr__(self)}, meta={self.meta!r})"


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request to make: everything needed to send it again identically on a retry.

    ``kind`` tells what the answer holds: ``data`` (the envelope's data), ``page`` (a list
    with meta, parsed into a `Page`), ``list`` (a list without meta) or ``text`` (a non-JSON
    body such as CSV).
    """

    method: str
    path: str
    params: Optional[Params] = None
    body: Optional[bytes] = None
    content_type: Optional[str] = None
    idempotency_key: Optional[str] = None
    kind: str = "data"


_NO_BODY: Any = object()


def make_call(
    method: str,
    path: str,
    *,
    params: Optional[Params] = None,
    json_body: Any = _NO_BODY,
    content: Optional[bytes] = None,
    content_type: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    kind: str = "data",
) -> Call[Any]:
    """Build a call; a POST gets ``idempotency_key`` or a fresh random UUID."""
    body = content
    if json_body is not _NO_BODY:
        body = encode_json(json_body)
        content_type = "application/json"
    key = None
    if method == "POST":
        key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
    return Call(method, path, params, body, content_type, key, kind)


def camel(name: str) -> str:
    """``first_name`` -> ``firstName``; ``from_`` -> ``from``; camelCase names are kept."""
    if name.endswith("_") and not name.startswith("_"):
        name = name.rstrip("_")
    if "_" not in name.strip("_"):
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def merge_body(body: Optional[Mapping[str, Any]], fields: Mapping[str, Any]) -> Dict[str, Any]:
    """The JSON body: the positional dict as is, then keyword arguments with camelCase names.

    Only the top-level names are converted; nested values (``settings``, ``workflow``,
    ``customFields``, ``smtp``, ``filters``...) are sent unchanged.
    """
    if body is not None and not isinstance(body, Mapping):
        raise TypeError(f"the body must be a dict, not {type(body).__name__}")
    merged: Dict[str, Any] = dict(body) if body is not None else {}
    for name, value in fields.items():
        merged[camel(name)] = value
    return merged


def query_of(query: Optional[Mapping[str, Any]], params: Mapping[str, Any]) -> Params:
    """The query string: the positional dict's names as is, keyword names in camelCase.

    None values are left out; booleans become ``true``/``false``; lists are joined with
    commas; datetimes are written in RFC 3339 (naive datetimes taken as UTC) and dates as
    their midnight UTC, which every date filter of the API accepts.
    """
    if query is not None and not isinstance(query, Mapping):
        raise TypeError(f"the query must be a dict, not {type(query).__name__}")
    out: Params = {}
    items = list((query or {}).items()) + [(camel(k), v) for k, v in params.items()]
    for name, value in items:
        if value is not None:
            out[name] = _query_value(value)
    return out


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_query_value(item) for item in value)
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return value.isoformat() + "T00:00:00Z"
    return str(value)


def _iso(value: "_dt.date") -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        text = value.astimezone(_dt.timezone.utc).isoformat()
        return text.replace("+00:00", "Z")
    return value.isoformat()


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return _iso(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; the same value always gives the same bytes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return text.encode("utf-8")


def path(template: str, *ids: str) -> str:
    """``template`` with its ``{}`` replaced by percent-encoded ids, e.g.
    ``path("/contacts/{}/tags", id)``."""
    for value in ids:
        if not isinstance(value, str) or not value:
            raise TypeError(f"an id must be a non-empty string, not {value!r}")
    return template.format(*(quote(value, safe="") for value in ids))


def paged(params: Params, page: int) -> Params:
    """``params`` for page ``page`` of a full iteration (``perPage`` 100 unless given)."""
    out = dict(params)
    out["page"] = str(page)
    out.setdefault("perPage", "100")
    return out


def has_next(page: "Page[Any]", number: int) -> bool:
    """Whether another page follows page ``number``."""
    total_pages = page.meta.get("totalPages") if isinstance(page.meta, dict) else None
    if len(page) == 0:
        return False
    if isinstance(total_pages, int):
        return number < total_pages
    per_page = page.meta.get("perPage") if isinstance(page.meta, dict) else None
    return isinstance(per_page, int) and len(page) >= per_page
