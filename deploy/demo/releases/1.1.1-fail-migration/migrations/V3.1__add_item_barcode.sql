-- upshift-demo 1.1.1-fail-migration, migration 1 of 2. Succeeds: an optional barcode per item.
ALTER TABLE items ADD COLUMN barcode text;
