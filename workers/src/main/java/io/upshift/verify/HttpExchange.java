package io.upshift.verify;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

/**
 * One HTTP request of a check, on a connection of its own. A verification failure after the point
 * of no return costs a rollback, so a check must never fail because of the client: a pooled
 * connection that an HTTP/1.0 or {@code Connection: close} server already closed is never reused
 * (each request gets a fresh client, closed afterwards), and a request that fails without any
 * answer (reset, refused, closed early) is sent once more on a fresh connection. Timeouts are not
 * retried here: they already used the check's time.
 */
final class HttpExchange {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private HttpExchange() {}

  /** Sends the request; a note for every retry is added to {@code notes} so the record shows it. */
  static HttpResponse<String> send(HttpRequest request, List<String> notes)
      throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try (HttpClient client =
          HttpClient.newBuilder()
              .connectTimeout(CONNECT_TIMEOUT)
              .followRedirects(HttpClient.Redirect.NEVER)
              .version(HttpClient.Version.HTTP_1_1)
              .build()) {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (HttpTimeoutException e) {
        throw e;
      } catch (IOException e) {
        if (attempt >= 2) {
          throw e;
        }
        notes.add("no answer (" + describe(e) + "), sent again on a fresh connection");
      }
    }
  }

  static String describe(Exception e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
