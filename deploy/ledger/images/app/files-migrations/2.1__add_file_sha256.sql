-- files 2.1 (faulty releases 1.1.1-fail-*): a checksum column. Always succeeds.
ALTER TABLE files ADD COLUMN sha256 text;
