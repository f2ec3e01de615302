import type { SortedPageQuery } from './common.js';

/** How the connection to a mail server is protected: `tls` = STARTTLS, `ssl` = implicit TLS. */
export type Encryption = 'tls' | 'ssl' | 'none';

/** A mail server as the API returns it (the password is never returned). */
export interface ServerSettings {
  /** Host name (`sandbox` for the captured sandbox mailbox). */
  host: string;
  /** Port. */
  port: number;
  /** Encryption. */
  encryption: Encryption;
  /** User name, if any. */
  username: string | null;
  /** True when a password is stored. */
  hasPassword: boolean;
}

/** A mail server as given on create. */
export interface NewServerSettings {
  /** Host name (required; `sandbox` captures mail in the database). */
  host: string;
  /** Port (default from the encryption). */
  port?: number | null;
  /** Encryption. */
  encryption?: Encryption | null;
  /** User name. */
  username?: string | null;
  /** Password (write-only, stored encrypted). */
  password?: string | null;
}

/** Account health. */
export type EmailAccountStatus = 'active' | 'error';

/** A sending account (`acc_…`). */
export interface EmailAccount {
  /** Account id (`acc_…`). */
  id: string;
  /** Sender address. */
  email: string;
  /** Sender display name. */
  displayName: string | null;
  /** SMTP server. */
  smtp: ServerSettings;
  /** IMAP server (replies and bounces), or `null`. */
  imap: ServerSettings | null;
  /** Most messages per UTC day across its campaigns. */
  dailyLimit: number;
  /** Health. */
  status: EmailAccountStatus;
  /** Last connection error. */
  lastError: string | null;
  /** Creation time (RFC 3339). */
  createdAt: string;
  /** Last update time (RFC 3339). */
  updatedAt: string;
}

/** Body of `emailAccounts.create()`. */
export interface CreateEmailAccountParams {
  /** Sender address (required). */
  email: string;
  /** Sender display name. */
  displayName?: string | null;
  /** SMTP server (required). */
  smtp: NewServerSettings;
  /** IMAP server. */
  imap?: NewServerSettings | null;
  /** Daily limit. */
  dailyLimit?: number | null;
}

/** Body of `emailAccounts.update()`: only the given fields change. */
export interface UpdateEmailAccountParams {
  /** Sender address. */
  email?: string | null;
  /** Sender display name. */
  displayName?: string | null;
  /** SMTP changes. */
  smtp?: Partial<NewServerSettings> | null;
  /** IMAP changes. */
  imap?: Partial<NewServerSettings> | null;
  /** Daily limit. */
  dailyLimit?: number | null;
}

/** Query of `emailAccounts.list()`. */
export type EmailAccountListQuery = SortedPageQuery<'createdAt' | 'updatedAt' | 'email'> & {
  /** Status. */
  status?: EmailAccountStatus;
  /** Email contains. */
  email?: string;
};

/** Outcome of one server check of `emailAccounts.test()`. */
export interface ConnectionCheck {
  /** True when connecting (and authenticating) worked. */
  ok: boolean;
  /** The step that failed. */
  step: 'connect' | 'tls' | 'auth' | null;
  /** The failure. */
  error: string | null;
}

/** Result of `emailAccounts.test()`. */
export interface EmailAccountTestResult {
  /** True when every configured server passed. */
  ok: boolean;
  /** SMTP check. */
  smtp: ConnectionCheck;
  /** IMAP check, when IMAP is configured. */
  imap: ConnectionCheck | null;
}
