-- upshift-demo 2.0.0: breaking change. processed_at is replaced by status; 1.x backends and
-- workers read processed_at and fail on this schema, so going back to 1.x needs the backup.
DROP INDEX idx_items_unprocessed;

ALTER TABLE items DROP COLUMN processed_at;
