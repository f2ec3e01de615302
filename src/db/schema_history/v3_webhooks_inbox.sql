-- Step 3: webhooks (subscriptions, the event outbox, delivery attempts) and the IMAP inbox state.
-- The same statements are part of schema.sql.

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
