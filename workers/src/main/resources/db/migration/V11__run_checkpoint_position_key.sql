-- The job key of the step at a run's kept position (run_checkpoint.element_id). The engine hands
-- out keys in increasing order within an instance, so a later step always has a higher key than
-- the step before it, and a job delivered again keeps its key: a position written for a lower key
-- than the kept one is stale (a re-delivered or late job of an earlier step) and is ignored. NULL
-- after the run (re)started on a new engine instance, whose keys start again.
ALTER TABLE run_checkpoint ADD COLUMN position_key BIGINT;
