-- ledger V3 (release 1.2.0): entries can be archived.
ALTER TABLE entries ADD COLUMN archived boolean NOT NULL DEFAULT false;
CREATE INDEX idx_entries_active ON entries (id) WHERE NOT archived;
