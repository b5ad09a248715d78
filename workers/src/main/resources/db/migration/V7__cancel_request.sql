-- A cancel asked for while a hop changes the platform: the run is not stopped where it stands
-- (that would leave the platform half changed) but at the next cutover step, which fails with the
-- step's own failure code so the model rolls the hop back. One row per run; the first ask counts.
CREATE TABLE cancel_request (
    run_id       VARCHAR(36)   PRIMARY KEY,
    requested_by VARCHAR(200),
    reason       VARCHAR(2000) NOT NULL,
    requested_at TIMESTAMP WITH TIME ZONE NOT NULL
);
