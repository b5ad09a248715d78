package io.upshift.run;

import java.time.Instant;

/**
 * Published (as a Spring application event) when an instance reached an end event with the {@code
 * upshift.run.end} listener, after the journal recorded it, so other capabilities can close what
 * they keep open for the run (e.g. approval tasks the engine cancelled).
 *
 * @param runId the Upshift run, or null for an instance started outside Upshift
 * @param processInstanceKey the engine's instance
 * @param state how the run ended
 * @param firstReport true when this report ended the run in the journal; false when the journal had
 *     recorded the end already (a redelivered listener job) or the instance is no Upshift run. Side
 *     effects that must happen once per run (e.g. notifications) act on the first report only.
 */
public record RunEnded(
    String runId, long processInstanceKey, RunState state, Instant at, boolean firstReport) {}
