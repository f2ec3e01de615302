-- Step 2: email accounts, campaigns, enrolments, sends, campaign events, sandbox mailbox.
-- The same statements are part of schema.sql.

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
