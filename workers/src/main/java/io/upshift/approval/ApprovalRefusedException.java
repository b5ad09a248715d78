package io.upshift.approval;

import org.springframework.http.HttpStatus;

/**
 * A decision the inbox will not take: the task is not open ({@link HttpStatus#CONFLICT}), the
 * decider requested the run ({@link HttpStatus#FORBIDDEN}), or the engine did not answer ({@link
 * HttpStatus#SERVICE_UNAVAILABLE}). The message says which, for the problem detail.
 */
public class ApprovalRefusedException extends RuntimeException {

  private final HttpStatus status;
  private final String title;

  ApprovalRefusedException(HttpStatus status, String title, String message) {
    super(message);
    this.status = status;
    this.title = title;
  }

  public HttpStatus status() {
    return status;
  }

  public String title() {
    return title;
  }
}
