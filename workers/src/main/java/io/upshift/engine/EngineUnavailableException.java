package io.upshift.engine;

/** Start-up cannot go on without an engine; the message says which one and what to do. */
public class EngineUnavailableException extends RuntimeException {

  private final String action;

  public EngineUnavailableException(String message, String action, Throwable cause) {
    super(message, cause);
    this.action = action;
  }

  public String action() {
    return action;
  }
}
