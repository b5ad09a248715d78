-- What a run needs to continue after Upshift restarts with the embedded engine (which keeps no
-- state): the run's variables (small, never secrets) as they stood after its last completed step,
-- and its position, the element of the step it was at (started, or waiting as a user task). An
-- operator's resume starts a new engine instance before that element with these variables; a
-- rollback starts the model's rollback path with them. One row per run, overwritten as it goes.
CREATE TABLE run_checkpoint (
    run_id      VARCHAR(36)   PRIMARY KEY REFERENCES run (id),
    element_id  VARCHAR(200),
    variables   TEXT          NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
