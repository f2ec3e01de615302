"""Result types of contacts, groups and pipeline stages."""

from typing import Dict, List, Literal, Optional, TypedDict, Union

ContactStatus = Literal["active", "unsubscribed", "bounced", "replied", "blocked"]
"""The status of a contact."""

GroupType = Literal["static", "dynamic"]
"""The type of a group."""

CustomFieldValue = Union[str, float, int, bool]
"""A custom field's value: a string, a number or a boolean."""


class GroupRef(TypedDict):
    """A group a contact belongs to."""

    id: str
    """Group id (``grp_...``)."""
    name: str
    """Group name."""


class PipelineStageRef(TypedDict):
    """The pipeline stage a contact is at."""

    id: str
    """Stage id (``stg_...``)."""
    name: str
    """Stage name."""


class _ContactRequired(TypedDict):
    id: str
    email: str
    status: ContactStatus
    groups: List[GroupRef]
    tags: List[str]
    customFields: Dict[str, CustomFieldValue]
    trackingOptOut: bool
    createdAt: str
    updatedAt: str


class Contact(_ContactRequired, total=False):
    """A contact (``con_...``). Optional fields are sent as null when they are unset."""

    firstName: Optional[str]
    """First name."""
    lastName: Optional[str]
    """Last name."""
    company: Optional[str]
    """Company."""
    jobTitle: Optional[str]
    """Job title."""
    phone: Optional[str]
    """Phone."""
    website: Optional[str]
    """Website."""
    consentSource: Optional[str]
    """Where the consent came from."""
    pipelineStage: Optional[PipelineStageRef]
    """Pipeline stage, or None."""


class _BulkErrorRequired(TypedDict):
    index: int
    code: str
    message: str


class BulkError(_BulkErrorRequired, total=False):
    """One refused row of a bulk create or CSV import (``index`` 0 is the first row)."""

    email: Optional[str]
    """The row's email, when it had one."""


class BulkResult(TypedDict):
    """The answer of ``contacts.bulk`` and ``contacts.import_csv``."""

    created: int
    """Contacts created."""
    updated: int
    """Existing contacts updated (``onDuplicate: "update"``)."""
    skipped: int
    """Duplicates skipped."""
    errorCount: int
    """Rows refused."""
    errors: List[BulkError]
    """The refused rows."""


class _GroupRequired(TypedDict):
    id: str
    name: str
    type: GroupType
    contactCount: int
    createdAt: str
    updatedAt: str


class Group(_GroupRequired, total=False):
    """A group of contacts (``grp_...``)."""

    description: Optional[str]
    """Description."""
    color: Optional[str]
    """Display color."""


class MemberError(TypedDict):
    """A contact that could not be added to or removed from a group."""

    contactId: str
    """The contact id."""
    code: str
    """Error code, e.g. ``NOT_FOUND``."""
    message: str
    """Why."""


class AddMembersResult(TypedDict):
    """The answer of ``groups.add_contacts``."""

    added: int
    """Contacts added."""
    skipped: int
    """Contacts that were already members."""
    errors: List[MemberError]
    """Contacts refused."""


class RemoveMembersResult(TypedDict):
    """The answer of ``groups.remove_contacts``."""

    removed: int
    """Contacts removed."""
    skipped: int
    """Contacts that were not members."""
    errors: List[MemberError]
    """Contacts refused."""


class PipelineStage(TypedDict):
    """A pipeline stage (``stg_...``)."""

    id: str
    """Stage id."""
    name: str
    """Stage name."""
    position: int
    """Order of the stage (0 first)."""
    createdAt: str
    """Creation time."""
