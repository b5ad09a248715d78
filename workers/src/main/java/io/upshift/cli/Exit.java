package io.upshift.cli;

/** The CLI's exit codes: a contract for scripts, documented in docs/cli.md and in {@code help}. */
enum Exit {
  OK(0, "success"),
  BAD_OUTCOME(
      1,
      "the operation ran but the outcome is bad: the run ended failed, rolled-back, rejected,"
          + " expired, cancelled, interrupted or abandoned, or the server refused the request in"
          + " the current state (409: e.g. the platform has an active run, a cancel when no hop"
          + " is in progress)"),
  USAGE(2, "usage error or bad input, the CLI's own or a 400 from the server naming each field"),
  ACCESS(3, "authentication or authorization refused (401, 403)"),
  NOT_FOUND(4, "not found (404): no such run or approval task"),
  UNAVAILABLE(
      5,
      "server unreachable, no answer in time, a server error (5xx), or --timeout exceeded while"
          + " waiting");

  final int code;
  final String meaning;

  Exit(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }
}
