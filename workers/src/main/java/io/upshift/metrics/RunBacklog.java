package io.upshift.metrics;

/**
 * Runs in flight as Upshift's run journal knows them. {@link UpshiftMetrics} reads it at every
 * scrape for the gauges {@code upshift.runs.active} and {@code upshift.runs.open.incidents}.
 */
public interface RunBacklog {

  /** Runs that have started and not reached an end event. */
  long activeRuns();

  /** Active runs whose journal records an incident (a job ran out of retries). */
  long runsWithOpenIncident();
}
