package io.upshift.verify;

import io.upshift.run.FieldError;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One HTTP check: GET {@code url} until it answers {@code expectedStatus} (and contains {@code
 * bodyContains}, when given), at most {@code attempts} times, waiting {@code backoff} after the
 * first failure and twice as long after each further one (capped at {@link #MAX_BACKOFF}).
 */
record HttpCheck(
    URI url,
    int expectedStatus,
    String bodyContains,
    Duration timeout,
    int attempts,
    Duration backoff) {

  static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

  /** Longest a check may take in total; the worker's job timeout is set above it. */
  static final Duration MAX_TOTAL = Duration.ofMinutes(10);

  /**
   * Reads a check from raw variables (REST body or job variables), naming each bad field with
   * {@code prefix}. Defaults: status 200, timeout 5 s, 3 attempts, 2 s backoff.
   */
  static HttpCheck parse(Map<String, ?> raw, String prefix, List<FieldError> errors) {
    int before = errors.size();
    URI url = null;
    Object rawUrl = raw.get("url");
    if (!(rawUrl instanceof String text) || text.isBlank()) {
      errors.add(
          new FieldError(prefix + "url", "is required: an absolute http:// or https:// URL"));
    } else {
      try {
        url = new URI(text.trim());
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase();
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
          errors.add(
              new FieldError(
                  prefix + "url", "'" + text + "' is not an absolute http:// or https:// URL"));
        }
      } catch (Exception e) {
        errors.add(
            new FieldError(prefix + "url", "'" + text + "' is not a valid URL: " + e.getMessage()));
      }
    }
    int status = integer(raw, "expectedStatus", 200, 100, 599, prefix, errors);
    String body = null;
    Object rawBody = raw.get("bodyContains");
    if (rawBody != null) {
      if (!(rawBody instanceof String text) || text.isEmpty() || text.length() > 1000) {
        errors.add(
            new FieldError(
                prefix + "bodyContains", "must be a non-empty text of at most 1000 characters"));
      } else {
        body = text;
      }
    }
    int timeoutSeconds = integer(raw, "timeoutSeconds", 5, 1, 120, prefix, errors);
    int attempts = integer(raw, "attempts", 3, 1, 20, prefix, errors);
    int backoffSeconds = integer(raw, "backoffSeconds", 2, 0, 60, prefix, errors);
    if (errors.size() > before) {
      return null;
    }
    HttpCheck check =
        new HttpCheck(
            url,
            status,
            body,
            Duration.ofSeconds(timeoutSeconds),
            attempts,
            Duration.ofSeconds(backoffSeconds));
    if (check.worstCase().compareTo(MAX_TOTAL) > 0) {
      errors.add(
          new FieldError(
              prefix + "attempts",
              "with timeoutSeconds and backoffSeconds the check could take "
                  + check.worstCase().toSeconds()
                  + " s; at most "
                  + MAX_TOTAL.toSeconds()
                  + " s is allowed"));
      return null;
    }
    return check;
  }

  /** Wait before attempt {@code n} (1-based, n >= 2). */
  Duration backoffBefore(int attempt) {
    Duration wait = backoff.multipliedBy(1L << Math.min(attempt - 2, 10));
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }

  Duration worstCase() {
    Duration total = timeout.multipliedBy(attempts);
    for (int n = 2; n <= attempts; n++) {
      total = total.plus(backoffBefore(n));
    }
    return total;
  }

  private static int integer(
      Map<String, ?> raw,
      String name,
      int fallback,
      int min,
      int max,
      String prefix,
      List<FieldError> errors) {
    Object value = raw.get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      long v = n.longValue();
      if (v >= min && v <= max) {
        return (int) v;
      }
    }
    errors.add(
        new FieldError(
            prefix + name, "must be a whole number from " + min + " to " + max + ", was " + value));
    return fallback;
  }
}
