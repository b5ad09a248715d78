-- files 2.2 (faulty release 1.1.1-fail-migration): file names become varchar(64).
-- Fails on existing data as soon as one file name is longer than 64 characters:
--   ERROR: value too long for type character varying(64)
-- 2.1 is then applied and committed, 2.2 is not: the files database is half-way.
ALTER TABLE files ALTER COLUMN name TYPE varchar(64);
