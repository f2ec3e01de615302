"""Result types of campaigns: the campaign, its contacts, statistics, activity and previews."""

from typing import Any, Dict, List, Literal, Optional, TypedDict

CampaignStatus = Literal["draft", "active", "paused", "completed", "archived"]
"""The status of a campaign."""

ActivityType = Literal[
    "sent", "opened", "clicked", "replied", "bounced", "unsubscribed", "failed", "uncertain",
    "skipped",
]
"""The type of a campaign activity event."""


class CampaignStatsSummary(TypedDict):
    """The counters carried by every campaign."""

    totalContacts: int
    """Contacts enrolled."""
    sent: int
    """Messages handed to the mail server."""
    delivered: int
    """Sent minus bounced."""
    opened: int
    """Contacts who opened."""
    clicked: int
    """Contacts who clicked."""
    replied: int
    """Contacts who replied."""
    bounced: int
    """Bounces."""
    unsubscribed: int
    """Unsubscribes."""


class _CampaignRequired(TypedDict):
    id: str
    name: str
    status: CampaignStatus
    settings: Dict[str, Any]
    groupIds: List[str]
    stats: CampaignStatsSummary
    createdAt: str
    updatedAt: str


class Campaign(_CampaignRequired, total=False):
    """A campaign (``cmp_...``). ``settings`` and ``workflow`` are the API's objects as is."""

    description: Optional[str]
    """Description."""
    emailAccountId: Optional[str]
    """Sending account (``acc_...``)."""
    workflow: Optional[Dict[str, Any]]
    """The workflow graph ``{"nodes": [...], "edges": [...]}``."""
    startedAt: Optional[str]
    """First start."""
    completedAt: Optional[str]
    """Completion."""


class CampaignStats(TypedDict):
    """``GET /campaigns/{id}/stats``: counters and rates (percentages, one decimal)."""

    totalContacts: int
    """Contacts enrolled."""
    sent: int
    """Messages sent."""
    delivered: int
    """Sent minus bounced."""
    opened: int
    """Contacts who opened."""
    openRate: float
    """Opens over delivered, in percent."""
    clicked: int
    """Contacts who clicked."""
    clickRate: float
    """Clicks over delivered, in percent."""
    replied: int
    """Contacts who replied."""
    replyRate: float
    """Replies over delivered, in percent."""
    bounced: int
    """Bounces."""
    bounceRate: float
    """Bounces over sent, in percent."""
    unsubscribed: int
    """Unsubscribes."""
    unsubscribeRate: float
    """Unsubscribes over delivered, in percent."""
    uncertain: int
    """Messages whose outcome is unknown."""
    failed: int
    """Messages that failed."""
    pending: int
    """Contacts still waiting for a message."""


class EmailStats(TypedDict):
    """One row of ``GET /campaigns/{id}/stats/emails``: the figures of one email node."""

    nodeId: str
    """Email node id."""
    emailNumber: int
    """Position among the workflow's emails (1-based)."""
    subject: str
    """Subject."""
    sent: int
    """Messages sent."""
    opened: int
    """Opens."""
    openRate: float
    """Open rate in percent."""
    clicked: int
    """Clicks."""
    clickRate: float
    """Click rate in percent."""
    replied: int
    """Replies."""
    replyRate: float
    """Reply rate in percent."""


class TimelineBucket(TypedDict):
    """One bucket of ``GET /campaigns/{id}/stats/timeline``."""

    date: str
    """Start of the bucket."""
    sent: int
    """Messages sent."""
    opened: int
    """Opens."""
    clicked: int
    """Clicks."""
    replied: int
    """Replies."""
    bounced: int
    """Bounces."""


class _CampaignContactRequired(TypedDict):
    contactId: str
    email: str
    status: str
    emailsSent: int
    enrolledAt: str
    updatedAt: str


class CampaignContact(_CampaignContactRequired, total=False):
    """A contact's progress in a campaign."""

    firstName: Optional[str]
    """First name."""
    lastName: Optional[str]
    """Last name."""
    currentNodeId: Optional[str]
    """Workflow node the contact is at."""
    lastEmailNodeId: Optional[str]
    """Last email node sent."""
    nextActionAt: Optional[str]
    """When the contact's next step is due."""
    reason: Optional[str]
    """Why the contact was skipped or failed."""


class EnrolError(TypedDict):
    """A contact that could not be enrolled in (or removed from) a campaign."""

    contactId: str
    """The contact id."""
    code: str
    """Error code."""
    message: str
    """Why."""


class AddCampaignContactsResult(TypedDict):
    """The answer of ``campaigns.add_contacts``."""

    added: int
    """Contacts enrolled."""
    skipped: int
    """Contacts skipped (already enrolled, unsubscribed, bounced, blocked)."""
    errors: List[EnrolError]
    """Contacts refused, with a reason."""


class RemoveCampaignContactsResult(TypedDict):
    """The answer of ``campaigns.remove_contacts``."""

    removed: int
    """Contacts removed."""
    skipped: int
    """Contacts that were not enrolled."""
    errors: List[EnrolError]
    """Contacts refused."""


class _ActivityRequired(TypedDict):
    id: str
    type: ActivityType
    timestamp: str
    metadata: Dict[str, Any]


class Activity(_ActivityRequired, total=False):
    """One event of ``GET /campaigns/{id}/activity``."""

    contactId: Optional[str]
    """The contact."""
    contactEmail: Optional[str]
    """The contact's email."""
    emailNodeId: Optional[str]
    """The email node."""


class Header(TypedDict):
    """A message header."""

    name: str
    """Header name."""
    value: str
    """Header value."""


class _PreviewRequired(TypedDict):
    nodeId: str
    emailNumber: int
    sendable: bool
    headers: List[Header]


class Preview(_PreviewRequired, total=False):
    """``GET /campaigns/{id}/preview``: an email node rendered for a contact."""

    contactId: Optional[str]
    """The contact, or None for sample data."""
    subject: Optional[str]
    """Subject as sent."""
    html: Optional[str]
    """HTML part as sent."""
    text: Optional[str]
    """Text part as sent."""
    reason: Optional[str]
    """Why it would not be sent."""


class ForecastItem(TypedDict):
    """One planned message of a forecast."""

    contactId: str
    """The contact."""
    email: str
    """The contact's email."""
    nodeId: str
    """Email node."""
    emailNumber: int
    """Position among the workflow's emails."""
    scheduledAt: str
    """When it would go out."""


class Forecast(TypedDict):
    """``GET /campaigns/{id}/forecast``: who gets which email when."""

    items: List[ForecastItem]
    """Planned messages."""
    truncated: bool
    """Whether the list was cut at ``limit``."""
    generatedAt: str
    """When the forecast was computed."""
    assumptions: str
    """What the forecast assumes."""
