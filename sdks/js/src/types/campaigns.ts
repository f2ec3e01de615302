import type { PageQuery, SortedPageQuery } from './common.js';
import type { SearchFilters } from './contacts.js';

/** A campaign's status: `draft → active ⇄ paused`, `active → completed`, `completed | paused → archived`. */
export type CampaignStatus = 'draft' | 'active' | 'paused' | 'completed' | 'archived';

/** A day of the week, as used by `sendDays`. */
export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** A campaign's sending settings, as returned (every field filled in). */
export interface CampaignSettings {
  /** Days messages may go out. */
  sendDays: Weekday[];
  /** First local hour of the window (0–23). */
  sendHoursStart: number;
  /** Local hour the window closes (1–24). */
  sendHoursEnd: number;
  /** IANA time zone of the window. */
  timezone: string;
  /** Most messages in any 60 minutes. */
  maxEmailsPerHour: number;
  /** Most messages per local day, or `null` for no campaign limit. */
  dailyLimit: number | null;
  /** A reply ends the contact's sequence. */
  stopOnReply: boolean;
  /** Open pixel. */
  trackOpens: boolean;
  /** Click tracking. */
  trackClicks: boolean;
  /** Unsubscribe line when the body has no `{{unsubscribe_link}}`. */
  unsubscribeLink: boolean;
}

/** Settings as given on create (omitted fields take their defaults) or update (given fields replace). */
export type CampaignSettingsInput = Partial<CampaignSettings>;

/** Common part of every workflow node. */
interface NodeBase {
  /** Node id chosen by the client (`[A-Za-z0-9_-]{1,64}`). */
  id: string;
  /** Editor position, kept as given. */
  position?: unknown;
}

/** The single entry node. */
export interface StartNode extends NodeBase {
  /** Node type. */
  type: 'start';
  /** No data. */
  data?: Record<string, never> | null;
}

/** An exit node (one or more). */
export interface EndNode extends NodeBase {
  /** Node type. */
  type: 'end';
  /** No data. */
  data?: Record<string, never> | null;
}

/** Sends one email. */
export interface EmailNode extends NodeBase {
  /** Node type. */
  type: 'email';
  /** The message. */
  data: {
    /** Subject with `{{variables}}`; empty on a later email: a threaded reply "Re: <previous subject>". */
    subject?: string;
    /** HTML body with `{{variables}}`. */
    body: string;
    /** Open pixel for this email. */
    trackOpens?: boolean;
    /** Click tracking for this email. */
    trackClicks?: boolean;
  };
}

/** Waits before the next node. */
export interface DelayNode extends NodeBase {
  /** Node type. */
  type: 'delay';
  /** Exactly one of `days` (1–30) or `hours` (1–24). */
  data: {
    /** Days to wait. */
    days?: number;
    /** Hours to wait. */
    hours?: number;
    /** Count only Monday–Friday. */
    businessDays?: boolean;
  };
}

/** Branches on what happened; has two edges labelled `"true"` and `"false"`. */
export interface ConditionNode extends NodeBase {
  /** Node type. */
  type: 'condition';
  /** The test. */
  data: {
    /** What is tested. */
    criterion: 'opened' | 'clicked' | 'previousEmail' | 'contactField';
    /** The email node tested (`opened`, `clicked`). */
    emailNodeId?: string;
    /** Event of the previous email (`previousEmail`). */
    event?: 'sent' | 'opened' | 'clicked' | 'replied';
    /** Contact field (`contactField`). */
    field?: string;
    /** Comparison (`contactField`). */
    operator?: 'equals' | 'notEquals' | 'contains' | 'notContains' | 'isEmpty' | 'isNotEmpty';
    /** Compared value (`contactField`). */
    value?: string | null;
  };
}

/** Any workflow node. */
export type WorkflowNode = StartNode | EndNode | EmailNode | DelayNode | ConditionNode;

/** A directed edge between two nodes. */
export interface WorkflowEdge {
  /** Source node id. */
  from: string;
  /** Target node id. */
  to: string;
  /** Only on a condition's two edges. */
  label?: 'true' | 'false';
}

/** A campaign's workflow graph. */
export interface Workflow {
  /** Nodes. */
  nodes: WorkflowNode[];
  /** Edges. */
  edges: WorkflowEdge[];
}

/** Counters embedded in a campaign. */
export interface CampaignStatsSummary {
  /** Contacts enrolled. */
  totalContacts: number;
  /** Messages handed to the SMTP server. */
  sent: number;
  /** `sent − bounced`. */
  delivered: number;
  /** Contacts who opened. */
  opened: number;
  /** Contacts who clicked. */
  clicked: number;
  /** Contacts who replied. */
  replied: number;
  /** Bounces. */
  bounced: number;
  /** Unsubscribes. */
  unsubscribed: number;
}

/** A campaign (`cmp_…`). */
export interface Campaign {
  /** Campaign id (`cmp_…`). */
  id: string;
  /** Name. */
  name: string;
  /** Description. */
  description: string | null;
  /** Status. */
  status: CampaignStatus;
  /** Sending account (`acc_…`). */
  emailAccountId: string | null;
  /** Sending settings. */
  settings: CampaignSettings;
  /** Workflow graph, or `null` while none is set. */
  workflow: Workflow | null;
  /** Groups whose members are enrolled. */
  groupIds: string[];
  /** Counters. */
  stats: CampaignStatsSummary;
  /** Creation time (RFC 3339). */
  createdAt: string;
  /** When it was started. */
  startedAt: string | null;
  /** When it completed. */
  completedAt: string | null;
  /** Last update time (RFC 3339). */
  updatedAt: string;
}

/** Body of `campaigns.create()`. */
export interface CreateCampaignParams {
  /** Name (required). */
  name: string;
  /** Sending account (`acc_…`, required). */
  emailAccountId: string;
  /** Description. */
  description?: string | null;
  /** Sending settings. */
  settings?: CampaignSettingsInput;
  /** Workflow graph. */
  workflow?: Workflow | null;
  /** Groups whose members are enrolled now. */
  groupIds?: string[] | null;
}

/** Body of `campaigns.update()` (draft or paused campaigns only). */
export type UpdateCampaignParams = Partial<CreateCampaignParams>;

/** Query of `campaigns.list()`. */
export type CampaignListQuery = SortedPageQuery<'createdAt' | 'updatedAt' | 'name'> & {
  /** Status. */
  status?: CampaignStatus;
  /** Name contains. */
  name?: string;
};

/** Body of `campaigns.addContacts()`: exactly one of the four selectors. */
export type AddCampaignContactsParams =
  | { contactIds: string[] }
  | { groupIds: string[] }
  | { groupId: string }
  | { filters: SearchFilters };

/** A contact that could not be enrolled or removed. */
export interface EnrolError {
  /** The contact id. */
  contactId: string;
  /** `UNSUBSCRIBED`, `BOUNCED`, `BLOCKED`, `NOT_FOUND`, … */
  code: string;
  /** What was wrong. */
  message: string;
}

/** Result of `campaigns.addContacts()`. */
export interface AddCampaignContactsResult {
  /** Contacts enrolled. */
  added: number;
  /** Contacts left out (already enrolled or suppressed). */
  skipped: number;
  /** Suppressed or unknown contacts. */
  errors: EnrolError[];
}

/** Body of `campaigns.removeContacts()`. */
export interface RemoveCampaignContactsParams {
  /** Contact ids (`con_…`). */
  contactIds: string[];
}

/** Result of `campaigns.removeContacts()`. */
export interface RemoveCampaignContactsResult {
  /** Contacts removed. */
  removed: number;
  /** Contacts that were not enrolled. */
  skipped: number;
  /** Ids that failed. */
  errors: EnrolError[];
}

/** Progress status of an enrolled contact. */
export type EnrolmentStatus = 'pending' | 'in_progress' | 'completed' | 'replied' | 'bounced' | 'unsubscribed' | 'failed';

/** An enrolled contact's progress. */
export interface CampaignContact {
  /** Contact id. */
  contactId: string;
  /** Contact email. */
  email: string;
  /** First name. */
  firstName: string | null;
  /** Last name. */
  lastName: string | null;
  /** Progress status. */
  status: EnrolmentStatus;
  /** Node the contact stands on. */
  currentNodeId: string | null;
  /** When the next step is due. */
  nextActionAt: string | null;
  /** Last email node sent. */
  lastEmailNodeId: string | null;
  /** Emails sent to this contact. */
  emailsSent: number;
  /** Why the contact stopped (e.g. a missing variable). */
  reason: string | null;
  /** Enrolment time. */
  enrolledAt: string;
  /** Last change. */
  updatedAt: string;
}

/** Query of `campaigns.listContacts()`. */
export type CampaignContactsQuery = PageQuery & {
  /** Progress status. */
  status?: EnrolmentStatus;
};
