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
