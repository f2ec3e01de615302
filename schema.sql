-- fluenzr database schema: the whole current schema, applied to a fresh database at start.
-- Later changes are numbered steps in src/db/migrate.rs gated on PRAGMA user_version, and are
-- folded back into this file.

CREATE TABLE workspaces (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    plan          TEXT NOT NULL CHECK (plan IN ('free', 'starter', 'pro')),
    -- Maintained by the statements that add and remove contacts (src/db/contacts).
    contact_count INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE pipeline_stages (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX pipeline_stages_workspace ON pipeline_stages (workspace_id, position);

CREATE TABLE contacts (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email             TEXT NOT NULL,
    email_lower       TEXT NOT NULL,
    first_name        TEXT,
    last_name         TEXT,
    company           TEXT,
    job_title         TEXT,
    phone             TEXT,
    website           TEXT,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'unsubscribed', 'bounced', 'replied', 'blocked')),
    custom_fields     TEXT NOT NULL DEFAULT '{}',
    pipeline_stage_seq INTEGER REFERENCES pipeline_stages (seq) ON DELETE SET NULL,
    tracking_opt_out  INTEGER NOT NULL DEFAULT 0,
    consent_source    TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_workspace_email ON contacts (workspace_id, email_lower);
-- Row numbers grow with creation time (one writer stamps each row as it inserts it), so this
-- index, ordered by row number within a workspace, also serves `sort=createdAt`.
CREATE INDEX contacts_workspace ON contacts (workspace_id);
CREATE INDEX contacts_workspace_status ON contacts (workspace_id, status);


CREATE TABLE contact_tags (
    contact_seq INTEGER NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (contact_seq, tag)
) WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags (tag, contact_seq);

CREATE TABLE groups (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    type          TEXT NOT NULL DEFAULT 'static' CHECK (type IN ('static', 'dynamic')),
    color         TEXT,
    -- Maintained by the statements that add and remove members (src/db/groups, src/db/contacts).
    contact_count INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_workspace_name ON groups (workspace_id, name COLLATE NOCASE);
CREATE INDEX groups_workspace_created ON groups (workspace_id, created_at, seq);

CREATE TABLE group_members (
    group_seq   INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
    contact_seq INTEGER NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (group_seq, contact_seq)
) WITHOUT ROWID;
CREATE INDEX group_members_contact ON group_members (contact_seq, group_seq);


CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Sending identities (spec 3.3). Passwords are sealed with the server's secret key
-- (src/secret.rs) and never leave the server.
CREATE TABLE email_accounts (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    display_name    TEXT,
    smtp_host       TEXT NOT NULL,
    smtp_port       INTEGER NOT NULL,
    smtp_username   TEXT,
    smtp_password   BLOB,
    smtp_encryption TEXT NOT NULL CHECK (smtp_encryption IN ('tls', 'ssl', 'none')),
    imap_host       TEXT,
    imap_port       INTEGER,
    imap_username   TEXT,
    imap_password   BLOB,
    imap_encryption TEXT CHECK (imap_encryption IN ('tls', 'ssl', 'none')),
    daily_limit     INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'error')),
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX email_accounts_workspace ON email_accounts (workspace_id, created_at, seq);

-- Campaigns (spec 3.4). `settings` and `workflow` hold validated JSON (src/domain/campaign.rs,
-- src/domain/workflow.rs); `workflow` is NULL until the client gives one.
CREATE TABLE campaigns (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    description       TEXT,
    status            TEXT NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'active', 'paused', 'completed', 'archived')),
    email_account_seq INTEGER REFERENCES email_accounts (seq) ON DELETE SET NULL,
    settings          TEXT NOT NULL,
    workflow          TEXT,
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    completed_at      TEXT,
    updated_at        TEXT NOT NULL
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id, created_at, seq);
CREATE INDEX campaigns_status ON campaigns (status);
CREATE INDEX campaigns_account ON campaigns (email_account_seq);

-- Groups a campaign targets: members of a dynamic group join the campaign as they join the group.
CREATE TABLE campaign_groups (
    campaign_seq INTEGER NOT NULL REFERENCES campaigns (seq) ON DELETE CASCADE,
    group_seq    INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
    PRIMARY KEY (campaign_seq, group_seq)
) WITHOUT ROWID;
CREATE INDEX campaign_groups_group ON campaign_groups (group_seq, campaign_seq);

-- One row per enrolled contact: where it stands in the workflow and when the sender next looks.
CREATE TABLE campaign_contacts (
    campaign_seq    INTEGER NOT NULL REFERENCES campaigns (seq) ON DELETE CASCADE,
    contact_seq     INTEGER NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'in_progress', 'completed', 'replied', 'bounced',
                                      'unsubscribed', 'failed')),
    -- The workflow node the contact stands at; NULL before its first step.
    node_id         TEXT,
    -- Unix seconds from which the sender should look at this contact again; NULL when there is
    -- nothing to do (finished, or waiting for the outcome of a send).
    due_at          INTEGER,
    -- The last email node sent to this contact (conditions and threading look at it).
    last_email_node TEXT,
    -- Why the contact stopped, when it did not simply finish.
    reason          TEXT,
    enrolled_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (campaign_seq, contact_seq)
) WITHOUT ROWID;
CREATE INDEX campaign_contacts_due ON campaign_contacts (campaign_seq, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX campaign_contacts_contact ON campaign_contacts (contact_seq);
CREATE INDEX campaign_contacts_status ON campaign_contacts (campaign_seq, status);

-- One row per (campaign, contact, email node): the unit the sender claims, so the same node can
-- never go to the same contact twice. pending -> claimed -> sent | failed | bounced | uncertain;
-- a claim found at start (the process died during the SMTP exchange) becomes `uncertain`.
CREATE TABLE sends (
    seq               INTEGER PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_seq      INTEGER NOT NULL REFERENCES campaigns (seq) ON DELETE CASCADE,
    contact_seq       INTEGER NOT NULL REFERENCES contacts (seq) ON DELETE CASCADE,
    node_id           TEXT NOT NULL,
    email_account_seq INTEGER REFERENCES email_accounts (seq) ON DELETE SET NULL,
    state             TEXT NOT NULL
                      CHECK (state IN ('pending', 'claimed', 'sent', 'failed', 'bounced', 'uncertain')),
    -- Random, unguessable: the key of the open pixel, click and unsubscribe links.
    token             TEXT NOT NULL UNIQUE,
    -- The Message-ID header (without angle brackets), the same on every attempt.
    message_id        TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    subject           TEXT NOT NULL,
    -- JSON array of the original link targets of the message, in order (click redirects go only
    -- to these).
    links             TEXT NOT NULL DEFAULT '[]',
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    last_error        TEXT,
    bounce_type       TEXT CHECK (bounce_type IN ('hard', 'soft')),
    claimed_at        INTEGER,
    sent_at           INTEGER,
    opened_at         INTEGER,
    open_count        INTEGER NOT NULL DEFAULT 0,
    clicked_at        INTEGER,
    click_count       INTEGER NOT NULL DEFAULT 0,
    replied_at        INTEGER,
    UNIQUE (campaign_seq, contact_seq, node_id)
);
CREATE INDEX sends_campaign_state ON sends (campaign_seq, state);
CREATE INDEX sends_campaign_claimed ON sends (campaign_seq, claimed_at);
CREATE INDEX sends_account_claimed ON sends (email_account_seq, claimed_at);
CREATE INDEX sends_retry ON sends (next_attempt_at) WHERE state = 'pending';
CREATE INDEX sends_claimed ON sends (state) WHERE state = 'claimed';
CREATE INDEX sends_message_id ON sends (message_id);
CREATE INDEX sends_contact ON sends (contact_seq);

-- What happened in a campaign, for /activity and /stats/timeline.
CREATE TABLE campaign_events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    campaign_seq INTEGER NOT NULL REFERENCES campaigns (seq) ON DELETE CASCADE,
    contact_seq  INTEGER REFERENCES contacts (seq) ON DELETE CASCADE,
    node_id      TEXT,
    type         TEXT NOT NULL CHECK (type IN ('sent', 'opened', 'clicked', 'replied', 'bounced',
                                               'unsubscribed', 'failed', 'uncertain', 'skipped')),
    occurred_at  INTEGER NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign_seq, occurred_at);
CREATE INDEX campaign_events_contact ON campaign_events (contact_seq);

-- Mail of sandbox accounts (`smtp.host = "sandbox"`): kept here instead of leaving the machine.
CREATE TABLE sandbox_messages (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email_account_seq INTEGER REFERENCES email_accounts (seq) ON DELETE SET NULL,
    message_id        TEXT NOT NULL,
    mail_from         TEXT NOT NULL,
    rcpt_to           TEXT NOT NULL,
    subject           TEXT NOT NULL,
    -- The message exactly as it would have gone over SMTP, plus its two bodies for the viewer.
    raw               BLOB NOT NULL,
    html              TEXT NOT NULL,
    text              TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX sandbox_messages_workspace ON sandbox_messages (workspace_id, seq);

-- Webhook subscriptions (spec 3.5). The secret is sealed with the server's secret key.
CREATE TABLE webhooks (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    -- JSON array of event names, or ["*"].
    events       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'failed')),
    description  TEXT,
    secret       BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at, seq);

-- The outbox: every event, written in the same transaction as the change that caused it.
-- `payload` is the exact body delivered (and signed).
CREATE TABLE webhook_events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    -- Unix milliseconds.
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_events_workspace ON webhook_events (workspace_id, seq);

-- One row per delivery attempt (the webhook logs). `pending` rows are due at `due_at` (Unix
-- milliseconds); a tried attempt becomes `delivered`, `retrying` (a later attempt is pending) or
-- `failed`. A pending row survives a crash and is tried again after a restart.
CREATE TABLE webhook_deliveries (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    webhook_seq      INTEGER NOT NULL REFERENCES webhooks (seq) ON DELETE CASCADE,
    event_seq        INTEGER NOT NULL REFERENCES webhook_events (seq) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'retrying', 'failed')),
    due_at           INTEGER NOT NULL,
    status_code      INTEGER,
    response_time_ms INTEGER,
    error            TEXT,
    attempted_at     TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_seq, seq);

-- Where the inbox poller stands in each account's mailbox (IMAP UIDVALIDITY and last UID seen).
CREATE TABLE inbox_state (
    email_account_seq INTEGER PRIMARY KEY REFERENCES email_accounts (seq) ON DELETE CASCADE,
    uid_validity      INTEGER,
    last_uid          INTEGER NOT NULL DEFAULT 0,
    last_polled_at    TEXT
);

-- Every message the poller classified, so a restart never counts one twice.
CREATE TABLE inbox_messages (
    seq               INTEGER PRIMARY KEY,
    email_account_seq INTEGER NOT NULL REFERENCES email_accounts (seq) ON DELETE CASCADE,
    uid_validity      INTEGER NOT NULL,
    uid               INTEGER NOT NULL,
    message_id        TEXT,
    kind              TEXT NOT NULL CHECK (kind IN ('reply', 'auto_reply', 'bounce', 'unmatched')),
    send_seq          INTEGER REFERENCES sends (seq) ON DELETE SET NULL,
    subject           TEXT,
    received_at       TEXT NOT NULL,
    UNIQUE (email_account_seq, uid_validity, uid)
);
CREATE INDEX inbox_messages_message_id ON inbox_messages (email_account_seq, message_id);
