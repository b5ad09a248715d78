package io.upshift.verify;

/**
 * What a check saw on its last attempt.
 *
 * @param status HTTP status of the last answer, or null when there was none (refused, timed out)
 * @param observed a short description of the last answer or error
 */
record HttpCheckResult(
    String url, boolean healthy, Integer status, int attempts, long millis, String observed) {

  String summary() {
    return (healthy ? "healthy: " : "unhealthy: ")
        + "GET "
        + url
        + " "
        + observed
        + " after "
        + attempts
        + (attempts == 1 ? " attempt" : " attempts");
  }
}
