-- files 3 (release 1.2.0): content type of each upload (filled by `ledger-admin apply-missing-revisions`).
ALTER TABLE files ADD COLUMN content_type text;
