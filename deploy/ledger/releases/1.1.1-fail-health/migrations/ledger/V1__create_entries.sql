-- ledger V1 (release 1.0.0): ledger entries, the admin tool's revision record, the manager's registration.
CREATE TABLE entries (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL CHECK (btrim(name) <> ''),
    quantity   integer     NOT NULL CHECK (quantity >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    posted_at  timestamptz
);
CREATE INDEX idx_entries_unposted ON entries (id) WHERE posted_at IS NULL;

CREATE TABLE admin_revisions (
    revision     text        PRIMARY KEY,
    release      text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    rows_changed bigint
);

CREATE TABLE platform_manager (
    id           integer     PRIMARY KEY CHECK (id = 1),
    release      text        NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);
