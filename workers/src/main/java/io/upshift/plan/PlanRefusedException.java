package io.upshift.plan;

/** The requested upgrade is not allowed or not possible; nothing has been touched. */
public class PlanRefusedException extends RuntimeException {

  private final String code;

  PlanRefusedException(String code, String message) {
    super(message);
    this.code = code;
  }

  /** The BPMN error code the plan worker throws. */
  public String code() {
    return code;
  }
}
