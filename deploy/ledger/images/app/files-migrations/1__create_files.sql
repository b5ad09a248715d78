-- files 1: one row per stored upload (the file itself is /data/uploads/<item_id>.json).
CREATE TABLE files (
    item_id    bigint      PRIMARY KEY,
    name       text        NOT NULL,
    path       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
