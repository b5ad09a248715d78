package io.upshift.run;

/**
 * A step failed in a way that retrying will not fix (bad input, a missing resource): the job gets
 * retries 0, the engine raises an incident, and the message says what to do.
 */
public class StepFailure extends RuntimeException {

  public StepFailure(String message) {
    super(message);
  }

  public StepFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
