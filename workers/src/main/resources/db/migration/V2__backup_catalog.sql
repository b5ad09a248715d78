-- Backups Upshift took, one row per backup: where the files are, how big, their checksum, and
-- whether the backup was verified. The run id keys it so a redelivered job never takes a second one.
CREATE TABLE backup (
    id           VARCHAR(100)  PRIMARY KEY,
    run_id       VARCHAR(36),
    platform     VARCHAR(200)  NOT NULL,
    version      VARCHAR(100)  NOT NULL,
    directory    VARCHAR(1000) NOT NULL,
    size_bytes   BIGINT        NOT NULL,
    sha256       VARCHAR(64)   NOT NULL,
    verified     BOOLEAN       NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX backup_platform ON backup (platform, created_at);
