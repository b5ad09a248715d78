package io.upshift.fork;

/**
 * An expected refusal before anything was touched (a dirty working tree, no base tag, an unknown
 * target tag, an invalid rules file): the worker turns it into the BPMN error {@link #code()}.
 */
class ForkNotReadyException extends RuntimeException {

  static final String NOT_READY = "FORK_NOT_READY";
  static final String RULES_INVALID = "FORK_RULES_INVALID";

  private final String code;

  ForkNotReadyException(String code, String message) {
    super(message);
    this.code = code;
  }

  String code() {
    return code;
  }
}
