-- What an active run waits for besides its steps, e.g. a guided-failure decision: the task, the
-- failed step, its error and the allowed choices. Cleared when the decision is taken, a step
-- starts or the run ends.
ALTER TABLE run ADD COLUMN waiting_for VARCHAR(4000);
