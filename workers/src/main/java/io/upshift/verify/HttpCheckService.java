package io.upshift.verify;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/** Performs HTTP checks; knows nothing about Zeebe. */
@Service
class HttpCheckService {

  private static final Logger log = LoggerFactory.getLogger(HttpCheckService.class);
  private static final int BODY_EXCERPT = 200;

  HttpCheckResult check(HttpCheck check) throws InterruptedException {
    long started = System.nanoTime();
    Integer status = null;
    String observed = "no answer";
    // Every attempt that did not pass, in order: the record shows how the check got its result.
    java.util.List<String> trail = new java.util.ArrayList<>();
    for (int attempt = 1; attempt <= check.attempts(); attempt++) {
      if (attempt > 1) {
        Thread.sleep(check.backoffBefore(attempt).toMillis());
      }
      HttpRequest request =
          HttpRequest.newBuilder(check.url())
              .timeout(check.timeout())
              .header("User-Agent", "upshift-http-check")
              .GET()
              .build();
      java.util.List<String> notes = new java.util.ArrayList<>();
      try {
        HttpResponse<String> response = HttpExchange.send(request, notes);
        status = response.statusCode();
        String body = response.body() == null ? "" : response.body();
        boolean statusOk = status == check.expectedStatus();
        boolean bodyOk = check.bodyContains() == null || body.contains(check.bodyContains());
        if (statusOk && bodyOk) {
          return new HttpCheckResult(
              check.url().toString(),
              true,
              status,
              attempt,
              elapsed(started),
              "answered " + status + history(trail, notes));
        }
        observed =
            statusOk
                ? "answered "
                    + status
                    + " but the body lacks '"
                    + check.bodyContains()
                    + "': "
                    + excerpt(body)
                : "answered "
                    + status
                    + " (expected "
                    + check.expectedStatus()
                    + "): "
                    + excerpt(body);
      } catch (HttpTimeoutException e) {
        status = null;
        observed = "timed out after " + check.timeout().toSeconds() + " s";
      } catch (IOException e) {
        status = null;
        observed =
            "could not connect: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      }
      notes.add(observed);
      trail.add("#" + attempt + " " + String.join(", then ", notes));
      log.debug("Check {} attempt {}/{}: {}", check.url(), attempt, check.attempts(), observed);
    }
    return new HttpCheckResult(
        check.url().toString(),
        false,
        status,
        check.attempts(),
        elapsed(started),
        observed + " (attempts: " + String.join("; ", trail) + ")");
  }

  /** What happened before a passing answer, if anything did. */
  private static String history(
      java.util.List<String> failedAttempts, java.util.List<String> notes) {
    java.util.List<String> all = new java.util.ArrayList<>(failedAttempts);
    if (!notes.isEmpty()) {
      all.add("last attempt: " + String.join(", then ", notes));
    }
    return all.isEmpty() ? "" : " (before: " + String.join("; ", all) + ")";
  }

  private static long elapsed(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }

  private static String excerpt(String body) {
    String flat = body.replaceAll("\\s+", " ").trim();
    if (flat.isEmpty()) {
      return "(empty body)";
    }
    return flat.length() <= BODY_EXCERPT ? flat : flat.substring(0, BODY_EXCERPT) + "…";
  }
}
