-- ledger V2 (release 1.1.0): entries get a currency. Existing entries are filled by the post-migration
-- revision `ledger-admin apply-missing-revisions` (backfill-entry-currency, from LEDGER_CURRENCY).
ALTER TABLE entries ADD COLUMN currency char(3);
CREATE INDEX idx_entries_currency ON entries (currency);
