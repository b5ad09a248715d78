package io.upshift.run;

/**
 * The request was well-formed but the run's state does not allow it (409): a busy platform, a
 * cancel of an ended run or of a run inside its cutover. Nothing was changed.
 */
public class RunConflictException extends RuntimeException {

  private final String title;
  private final String runId;

  RunConflictException(String title, String detail, String runId) {
    this(title, detail, runId, null);
  }

  RunConflictException(String title, String detail, String runId, Throwable cause) {
    super(detail, cause);
    this.title = title;
    this.runId = runId;
  }

  /** A short title for the problem answer, e.g. {@code Platform busy}. */
  public String title() {
    return title;
  }

  /** The run the conflict is about (the holder of a busy platform, or the run asked for). */
  public String runId() {
    return runId;
  }
}
