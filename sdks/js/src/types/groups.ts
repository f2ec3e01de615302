import type { SortedPageQuery } from './common.js';
import type { ContactSortField } from './contacts.js';

/** Static groups hold the contacts put in them; dynamic groups also enrol new members into campaigns. */
export type GroupType = 'static' | 'dynamic';

/** A group (`grp_…`). */
export interface Group {
  /** Group id (`grp_…`). */
  id: string;
  /** Name, unique per workspace. */
  name: string;
  /** Description. */
  description: string | null;
  /** Static or dynamic. */
  type: GroupType;
  /** Display colour (e.g. `#3b82f6`). */
  color: string | null;
  /** Number of contacts in the group. */
  contactCount: number;
  /** Creation time (RFC 3339). */
  createdAt: string;
  /** Last update time (RFC 3339). */
  updatedAt: string;
}

/** Body of `groups.create()`. */
export interface CreateGroupParams {
  /** Name (required, unique). */
  name: string;
  /** Description. */
  description?: string | null;
  /** Static (default) or dynamic. */
  type?: GroupType | null;
  /** Display colour. */
  color?: string | null;
}

/** Body of `groups.update()`: only the given fields change. */
export type UpdateGroupParams = Partial<CreateGroupParams>;

/** Query of `groups.list()`. */
export type GroupListQuery = SortedPageQuery<'createdAt' | 'updatedAt' | 'name' | 'contactCount'> & {
  /** Name contains. */
  name?: string;
  /** Type. */
  type?: GroupType;
};

/** Query of `groups.listContacts()`. */
export type GroupContactsQuery = SortedPageQuery<ContactSortField>;

/** Body of `groups.addContacts()` / `groups.removeContacts()`. */
export interface ContactIdsParams {
  /** Contact ids (`con_…`). */
  contactIds: string[];
}

/** A contact id that could not be added or removed. */
export interface MemberError {
  /** The contact id. */
  contactId: string;
  /** Error code (e.g. `NOT_FOUND`). */
  code: string;
  /** What was wrong. */
  message: string;
}

/** Result of `groups.addContacts()`. */
export interface AddMembersResult {
  /** Contacts added. */
  added: number;
  /** Contacts already in the group. */
  skipped: number;
  /** Ids that failed. */
  errors: MemberError[];
}

/** Result of `groups.removeContacts()`. */
export interface RemoveMembersResult {
  /** Contacts removed. */
  removed: number;
  /** Contacts that were not in the group. */
  skipped: number;
  /** Ids that failed. */
  errors: MemberError[];
}
