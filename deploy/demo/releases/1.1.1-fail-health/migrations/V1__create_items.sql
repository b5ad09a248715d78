-- upshift-demo 1.0.0: items, processed in the background by the worker service.
CREATE TABLE items (
    id           bigserial   PRIMARY KEY,
    sku          text        NOT NULL UNIQUE,
    name         text        NOT NULL,
    quantity     integer     NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);

CREATE INDEX idx_items_unprocessed ON items (id) WHERE processed_at IS NULL;
