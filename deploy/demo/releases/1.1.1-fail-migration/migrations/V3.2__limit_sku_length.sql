-- upshift-demo 1.1.1-fail-migration, migration 2 of 2. The label printer takes at most 16
-- characters, so sku becomes varchar(16). This FAILS on existing data when any sku is longer,
-- e.g. the poison row 'POISON-SKU-TOO-LONG-0001' that the 1.0.0 seed (V2) adds by default:
--   ERROR: value too long for type character varying(16)
-- PostgreSQL rolls this migration back; V3.1 stays applied (the schema is partly changed).
-- Without long skus (DELETE FROM items WHERE length(sku) > 16) it succeeds.
ALTER TABLE items ALTER COLUMN sku TYPE varchar(16);
