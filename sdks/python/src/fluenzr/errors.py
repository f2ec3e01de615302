"""The one exception type the SDK raises for failed API calls."""

from typing import Any, Mapping, Optional


class FluenzrError(Exception):
    """A call that did not succeed.

    For an answer that is not 2xx, ``status``, ``code``, ``message`` and ``details`` come
    from the API's error envelope (``{"success": false, "error": {...}}``), for example
    ``404 NOT_FOUND "Contact not found"``. A network failure or timeout that survives the
    retries has ``status`` 0 and ``code`` ``NETWORK_ERROR`` or ``TIMEOUT``; an answer that is
    not the JSON envelope has ``code`` ``INVALID_RESPONSE`` (and its HTTP status).
    """

    status: int
    """The HTTP status code, or 0 when no answer was received."""
    code: str
    """The machine-readable error code, e.g. ``VALIDATION_ERROR`` or ``NOT_FOUND``."""
    message: str
    """The human-readable message."""
    details: Optional[Any]
    """The envelope's ``details`` (e.g. ``{"field": "email"}``), or None."""
    headers: Mapping[str, str]
    """The response headers (empty when no answer was received)."""
    request_id: Optional[str]
    """The ``X-Request-Id`` response header, when the server sent one."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        details: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        request_id: Optional[str] = None,
    ) -> None:
        """Build an error; the SDK does this, callers normally only catch it."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers) if headers is not None else {}
        self.request_id = request_id

    def __str__(self) -> str:
        """``"<status> <code>: <message>"``."""
        return f"{self.status} {self.code}: {self.message}"

    def __repr__(self) -> str:
        """A representation with the status, code, message and details."""
        return (
            f"FluenzrError(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, details={self.details!r})"
        )
