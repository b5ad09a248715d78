package io.upshift.run;

/**
 * Whether a hop of a run is changing its platform right now (it stopped the platform and is not
 * finished): where a cancel becomes a rollback of that hop. Answered by the cutover log.
 */
public interface CutoverProgress {

  boolean hopInProgress(String runId);
}
