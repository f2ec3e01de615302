"""Result types of email accounts and the sandbox."""

from typing import List, Literal, Optional, TypedDict

from .campaigns import Header

Encryption = Literal["tls", "ssl", "none"]
"""How a mail server connection is secured: STARTTLS, implicit TLS or plaintext."""


class _ServerSettingsRequired(TypedDict):
    host: str
    port: int
    encryption: Encryption
    hasPassword: bool


class ServerSettings(_ServerSettingsRequired, total=False):
    """SMTP or IMAP settings of an account as returned (passwords are never returned)."""

    username: Optional[str]
    """User name."""


class _EmailAccountRequired(TypedDict):
    id: str
    email: str
    smtp: ServerSettings
    dailyLimit: int
    status: Literal["active", "error"]
    createdAt: str
    updatedAt: str


class EmailAccount(_EmailAccountRequired, total=False):
    """A sending account (``acc_...``)."""

    displayName: Optional[str]
    """Display name."""
    imap: Optional[ServerSettings]
    """IMAP settings, or None."""
    lastError: Optional[str]
    """The last sending or connection error."""


class _ConnectionCheckRequired(TypedDict):
    ok: bool


class ConnectionCheck(_ConnectionCheckRequired, total=False):
    """The result of checking one server."""

    step: Optional[Literal["connect", "tls", "auth"]]
    """The step that failed, or None."""
    error: Optional[str]
    """What failed, or None."""


class _EmailAccountTestRequired(TypedDict):
    ok: bool
    smtp: ConnectionCheck


class EmailAccountTest(_EmailAccountTestRequired, total=False):
    """The answer of ``email_accounts.test``."""

    imap: Optional[ConnectionCheck]
    """The IMAP check, when the account has IMAP settings."""


_SandboxSummaryFields = TypedDict(
    "_SandboxSummaryFields",
    {
        "id": str,
        "messageId": str,
        "from": str,
        "to": str,
        "subject": str,
        "createdAt": str,
    },
)


class SandboxMessageSummary(_SandboxSummaryFields):
    """A message kept by a sandbox account, as listed (read ``"from"`` with ``msg["from"]``)."""


class SandboxMessage(SandboxMessageSummary):
    """A kept message with its content: headers, HTML and text parts, and the raw message."""

    headers: List[Header]
    """The header block, in order."""
    html: str
    """The HTML part."""
    text: str
    """The plain-text part."""
    raw: str
    """The whole message as it would have gone over SMTP."""
