-- ledger V2.1 (faulty releases 1.1.1-fail-*): entries get a memo. Always succeeds.
ALTER TABLE entries ADD COLUMN memo text;
