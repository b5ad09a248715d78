-- upshift-demo 1.0.0: demo data.
--
-- Row count: the custom setting upshift.seed_rows (default 200). Set it before the migrations run,
-- for example for 200000 rows:
--   ALTER DATABASE app SET upshift.seed_rows = '200000';       (persistent, any client)
--   PGOPTIONS='-c upshift.seed_rows=200000' psql ...           (one libpq session)
--   jdbc:postgresql://host:port/app?options=-c%20upshift.seed_rows=200000   (one JDBC connection)
--
-- Poison row: unless upshift.seed_poison is off/false/0/no, one extra item with an SKU longer than
-- 16 characters is added. It is harmless to every release except 1.1.1-fail-migration, whose
-- migration V3.2 (sku -> varchar(16)) then fails on it. Delete it to make that migration pass:
--   DELETE FROM items WHERE sku = 'POISON-SKU-TOO-LONG-0001';
INSERT INTO items (sku, name, quantity)
SELECT format('SKU-%s', lpad(g::text, 6, '0')),
       format('Demo item %s', lpad(g::text, 6, '0')),
       g % 100
FROM generate_series(1, COALESCE(NULLIF(current_setting('upshift.seed_rows', true), '')::integer, 200)) AS g;

INSERT INTO items (sku, name, quantity)
SELECT 'POISON-SKU-TOO-LONG-0001', 'Poison item (its sku is too long for 1.1.1-fail-migration)', 1
WHERE lower(COALESCE(NULLIF(current_setting('upshift.seed_poison', true), ''), 'on')) NOT IN ('off', 'false', '0', 'no');
