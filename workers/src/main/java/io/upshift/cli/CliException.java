package io.upshift.cli;

import java.util.List;

/**
 * Ends a command: the message (and detail lines, e.g. one per rejected field) go to stderr, the
 * exit code to the caller.
 */
final class CliException extends RuntimeException {

  private final Exit exit;
  private final List<String> details;

  CliException(Exit exit, String message) {
    this(exit, message, List.of());
  }

  CliException(Exit exit, String message, List<String> details) {
    super(message);
    this.exit = exit;
    this.details = List.copyOf(details);
  }

  static CliException usage(String message) {
    return new CliException(Exit.USAGE, message);
  }

  Exit exit() {
    return exit;
  }

  List<String> details() {
    return details;
  }
}
