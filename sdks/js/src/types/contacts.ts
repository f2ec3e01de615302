import type { SortedPageQuery } from './common.js';

/** A contact's status. */
export type ContactStatus = 'active' | 'unsubscribed' | 'bounced' | 'replied' | 'blocked';

/** Fields contacts can be sorted by. */
export type ContactSortField = 'createdAt' | 'updatedAt' | 'email' | 'firstName' | 'lastName' | 'company';

/** A custom field value: text (at most 2000 characters), number or boolean. */
export type CustomFieldValue = string | number | boolean;

/** A group as referenced from a contact. */
export interface GroupRef {
  /** Group id (`grp_…`). */
  id: string;
  /** Group name. */
  name: string;
}

/** A pipeline stage as referenced from a contact. */
export interface StageRef {
  /** Stage id (`stg_…`). */
  id: string;
  /** Stage name. */
  name: string;
}

/** A contact (`con_…`). */
export interface Contact {
  /** Contact id (`con_…`). */
  id: string;
  /** Email address, unique per workspace (case-insensitive). */
  email: string;
  /** First name. */
  firstName: string | null;
  /** Last name. */
  lastName: string | null;
  /** Company. */
  company: string | null;
  /** Job title. */
  jobTitle: string | null;
  /** Phone number. */
  phone: string | null;
  /** Website. */
  website: string | null;
  /** Status. */
  status: ContactStatus;
  /** Groups the contact belongs to. */
  groups: GroupRef[];
  /** Tags. */
  tags: string[];
  /** Custom fields. */
  customFields: Record<string, CustomFieldValue>;
  /** Pipeline stage, or `null`. */
  pipelineStage: StageRef | null;
  /** True when the contact objected to open tracking. */
  trackingOptOut: boolean;
  /** Where consent came from. */
  consentSource: string | null;
  /** Creation time (RFC 3339). */
  createdAt: string;
  /** Last update time (RFC 3339). */
  updatedAt: string;
}

/** Body of `contacts.create()`. */
export interface CreateContactParams {
  /** Email address (required). */
  email: string;
  /** First name. */
  firstName?: string | null;
  /** Last name. */
  lastName?: string | null;
  /** Company. */
  company?: string | null;
  /** Job title. */
  jobTitle?: string | null;
  /** Phone number. */
  phone?: string | null;
  /** Website. */
  website?: string | null;
  /** Status (default `active`). */
  status?: ContactStatus | null;
  /** Tags. */
  tags?: string[] | null;
  /** Custom fields. */
  customFields?: Record<string, CustomFieldValue> | null;
  /** Groups to join (`grp_…`). */
  groupIds?: string[] | null;
  /** Pipeline stage (`stg_…`). */
  pipelineStageId?: string | null;
  /** Object to open tracking. */
  trackingOptOut?: boolean | null;
  /** Where consent came from. */
  consentSource?: string | null;
}

/** Body of `contacts.update()`: only the given fields change; a custom field set to `null` is removed. */
export interface UpdateContactParams extends Omit<Partial<CreateContactParams>, 'customFields'> {
  /** Custom fields, merged per key; `null` removes a key. */
  customFields?: Record<string, CustomFieldValue | null> | null;
}

/** Filters of `contacts.list()` and `contacts.export()`. */
export type ContactFilters = {
  /** Email contains (case-insensitive). */
  email?: string;
  /** Status. */
  status?: ContactStatus;
  /** Group id or group name. */
  group?: string;
  /** Group id. */
  groupId?: string;
  /** Has this tag. */
  tag?: string;
  /** Company contains (case-insensitive). */
  company?: string;
  /** Email, first/last name or company contains (case-insensitive). */
  q?: string;
  /** Created at or after this time. */
  createdAfter?: string | Date;
  /** Created at or before this time. */
  createdBefore?: string | Date;
};

/** Query of `contacts.list()`. */
export type ContactListQuery = SortedPageQuery<ContactSortField> & ContactFilters;

/** Query of `contacts.export()`: the list's filters and sorting, no paging. */
export type ContactExportQuery = Omit<ContactListQuery, 'page' | 'perPage'>;

/** What to do with a row whose email already exists. */
export type OnDuplicate = 'skip' | 'update';

/** Body of `contacts.bulk()`. */
export interface BulkContactsParams {
  /** 1 to 1000 contacts; each row is validated and written on its own. */
  contacts: CreateContactParams[];
  /** Groups every row joins. */
  groupIds?: string[] | null;
  /** Duplicate handling (default `skip`). */
  onDuplicate?: OnDuplicate | null;
}

/** A row that failed in a bulk create or an import. */
export interface BulkError {
  /** Row index (0-based). */
  index: number;
  /** The row's email, when it had one. */
  email: string | null;
  /** Error code. */
  code: string;
  /** What was wrong. */
  message: string;
}

/** Result of `contacts.bulk()` and `contacts.import()`. */
export interface BulkResult {
  /** Contacts created. */
  created: number;
  /** Existing contacts updated (`onDuplicate: 'update'`). */
  updated: number;
  /** Existing contacts left as they were. */
  skipped: number;
  /** Rows that failed, all counted. */
  errorCount: number;
  /** Rows that failed (at most 1000 listed). */
  errors: BulkError[];
}

/** Filters of a search (and of a campaign enrolment by `filters`). */
export interface SearchFilters {
  /** A status or any of several statuses. */
  status?: ContactStatus | ContactStatus[] | null;
  /** Group ids (`grp_…`). */
  groups?: string[] | null;
  /** Tags (all must match). */
  tags?: string[] | null;
  /** Custom field values that must match. */
  customFields?: Record<string, CustomFieldValue> | null;
}

/** Body of `contacts.search()`. */
export interface SearchContactsParams {
  /** Free text over email, names and company. */
  query?: string | null;
  /** Filters. */
  filters?: SearchFilters | null;
  /** Sorting. */
  sort?: { field: ContactSortField; order?: 'asc' | 'desc' | null } | null;
  /** Page (the query string's `page` also works). */
  page?: number | null;
  /** Items per page (the query string's `perPage` also works). */
  perPage?: number | null;
}

/** Query of `contacts.import()`. */
export type ImportContactsQuery = {
  /** Duplicate handling (default `skip`). */
  onDuplicate?: OnDuplicate;
  /** Groups every imported contact joins (array, or comma-separated ids). */
  groupIds?: string | string[];
};

/** Body of `contacts.addToGroups()` / `contacts.removeFromGroups()`. */
export interface GroupIdsParams {
  /** Group ids (`grp_…`). */
  groupIds: string[];
}

/** Body of `contacts.addTags()` / `contacts.removeTags()`. */
export interface TagsParams {
  /** Tags. */
  tags: string[];
}
