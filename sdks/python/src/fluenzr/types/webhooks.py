"""Result types of webhooks and their delivery logs."""

from typing import List, Literal, Optional, TypedDict

WebhookStatus = Literal["active", "disabled", "failed"]
"""The status of a webhook."""


class _WebhookRequired(TypedDict):
    id: str
    url: str
    events: List[str]
    status: WebhookStatus
    createdAt: str
    updatedAt: str


class Webhook(_WebhookRequired, total=False):
    """A webhook (``whk_...``)."""

    description: Optional[str]
    """Description."""


class CreatedWebhook(Webhook):
    """The answer of ``webhooks.create``: the webhook and its signing secret, shown only once."""

    secret: str
    """The signing secret (``whsec_...``)."""


class _WebhookLogRequired(TypedDict):
    id: str
    eventId: str
    eventType: str
    status: str
    attempt: int
    timestamp: str


class WebhookLog(_WebhookLogRequired, total=False):
    """One delivery attempt of an event to a webhook (``log_...``).

    ``status`` is ``pending``, ``delivered``, ``retrying`` or ``failed``.
    """

    statusCode: Optional[int]
    """The receiver's HTTP status, when it answered."""
    responseTime: Optional[int]
    """Milliseconds the attempt took."""
    error: Optional[str]
    """Why the attempt did not succeed."""
