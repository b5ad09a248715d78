-- files 2 (release 1.1.0): file sizes, and an index for listing recent uploads.
ALTER TABLE files ADD COLUMN size_bytes bigint;
CREATE INDEX idx_files_created_at ON files (created_at);
