-- upshift-demo 2.0.0: items get an explicit status, derived from processed_at (data migration).
ALTER TABLE items ADD COLUMN status text;

UPDATE items SET status = CASE WHEN processed_at IS NULL THEN 'new' ELSE 'processed' END;

ALTER TABLE items
    ALTER COLUMN status SET NOT NULL,
    ALTER COLUMN status SET DEFAULT 'new',
    ADD CONSTRAINT items_status_check CHECK (status IN ('new', 'processed'));

CREATE INDEX idx_items_status_new ON items (id) WHERE status = 'new';
