package io.upshift.compose;

/** A compose command failed; the message carries the command and its output. */
public class ComposeException extends RuntimeException {

  public ComposeException(String message) {
    super(message);
  }

  public ComposeException(String message, Throwable cause) {
    super(message, cause);
  }
}
