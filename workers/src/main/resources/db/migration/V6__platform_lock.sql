-- One upgrade per platform: a run of a runbook that names a platform (platform-upgrade) holds its
-- platform's row from the moment the run is created until it ends, is cancelled or is abandoned.
-- The primary key is the lock: a second run's INSERT fails atomically, whatever the timing.
-- An interrupted run (embedded engine restarted) keeps its row until an operator abandons it.
CREATE TABLE platform_lock (
    platform    VARCHAR(200)  PRIMARY KEY,
    run_id      VARCHAR(36)   NOT NULL REFERENCES run (id),
    acquired_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX platform_lock_run ON platform_lock (run_id);
