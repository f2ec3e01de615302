"""Result types shared by several resources: page metadata and deletion answers."""

from typing import TypedDict


class PageMeta(TypedDict):
    """The ``meta`` of a list answer."""

    page: int
    """The page number (1-based)."""
    perPage: int
    """Items per page asked for."""
    total: int
    """Items across every page."""
    totalPages: int
    """Number of pages."""


class Deleted(TypedDict):
    """The answer of a ``DELETE`` on one resource: ``{"id": ..., "deleted": true}``."""

    id: str
    """The deleted resource's id."""
    deleted: bool
    """Always true."""


class Cleared(TypedDict):
    """The answer of ``DELETE /sandbox/messages``."""

    deleted: int
    """How many messages were removed."""
