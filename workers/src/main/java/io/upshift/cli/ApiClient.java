package io.upshift.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Upshift's REST API over {@link HttpClient}: where it is ({@code --url}, {@code UPSHIFT_URL}), who
 * calls it (HTTP Basic or a bearer token), and every non-2xx answer turned into a {@link
 * CliException} with the exit code scripts rely on and the server's problem detail.
 */
final class ApiClient implements AutoCloseable {

  static final String DEFAULT_URL = "http://127.0.0.1:8080";
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** A 2xx answer: the body as sent (for {@code --json}) and parsed. */
  record Answer(String body, JsonNode json) {}

  /** The Authorization header to send, if any, and how to name it in messages. */
  record Credentials(Optional<String> header, String description) {}

  private final URI base;
  private final Credentials credentials;
  private final HttpClient http;

  private ApiClient(URI base, Credentials credentials) {
    this.base = base;
    this.credentials = credentials;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  /** Validates the connection options; nothing is sent yet. */
  static ApiClient connect(CommandLine line, Map<String, String> env) {
    URI base =
        line.value("--url")
            .map(url -> baseUrl("--url", url))
            .or(() -> nonBlank(env.get("UPSHIFT_URL")).map(url -> baseUrl("UPSHIFT_URL", url)))
            .orElse(URI.create(DEFAULT_URL));
    return new ApiClient(base, credentials(line, env));
  }

  /**
   * Which credentials: {@code --user} or {@code --password-file} on the command line mean HTTP
   * Basic; otherwise {@code UPSHIFT_TOKEN} means a bearer token; otherwise {@code UPSHIFT_USER}
   * with {@code UPSHIFT_PASSWORD}; otherwise none (the server answers 401).
   */
  static Credentials credentials(CommandLine line, Map<String, String> env) {
    boolean basicOnCommandLine =
        line.value("--user").isPresent() || line.value("--password-file").isPresent();
    Optional<String> token = nonBlank(env.get("UPSHIFT_TOKEN"));
    if (!basicOnCommandLine && token.isPresent()) {
      return new Credentials(
          Optional.of("Bearer " + token.get().strip()), "the bearer token in UPSHIFT_TOKEN");
    }
    Optional<String> user = line.value("--user").or(() -> nonBlank(env.get("UPSHIFT_USER")));
    Optional<String> password =
        line.value("--password-file")
            .map(ApiClient::readPasswordFile)
            .or(() -> Optional.ofNullable(env.get("UPSHIFT_PASSWORD")).filter(p -> !p.isEmpty()));
    if (user.isEmpty() && password.isEmpty()) {
      return new Credentials(Optional.empty(), "no credentials");
    }
    if (user.isEmpty()) {
      throw CliException.usage(
          "a password is set but no user: give --user NAME or set UPSHIFT_USER");
    }
    if (user.get().isBlank() || user.get().contains(":")) {
      throw CliException.usage("--user '" + user.get() + "' must be a login name without ':'");
    }
    if (password.isEmpty()) {
      throw CliException.usage(
          "user '"
              + user.get()
              + "' needs a password: set UPSHIFT_PASSWORD or use --password-file FILE");
    }
    String pair = user.get() + ":" + password.get();
    return new Credentials(
        Optional.of(
            "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8))),
        "user '" + user.get() + "' (HTTP Basic)");
  }

  Answer get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET(), "GET", path);
  }

  Answer post(String path, Object body) {
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the request body", e);
    }
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        "POST",
        path);
  }

  URI base() {
    return base;
  }

  @Override
  public void close() {
    http.close();
  }

  private Answer send(HttpRequest.Builder request, String method, String path) {
    request.timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
    credentials.header().ifPresent(h -> request.header("Authorization", h));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpConnectTimeoutException e) {
      throw unreachable("no connection within " + CONNECT_TIMEOUT.toSeconds() + " s");
    } catch (HttpTimeoutException e) {
      throw new CliException(
          Exit.UNAVAILABLE,
          "no answer from "
              + base
              + " to "
              + method
              + " "
              + path
              + " within "
              + REQUEST_TIMEOUT.toSeconds()
              + " s");
    } catch (ConnectException e) {
      throw unreachable("connection refused");
    } catch (IOException e) {
      throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(Exit.UNAVAILABLE, "interrupted while calling " + base);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      try {
        return new Answer(response.body(), JSON.readTree(response.body()));
      } catch (JsonProcessingException e) {
        throw new CliException(
            Exit.UNAVAILABLE,
            "the answer to "
                + method
                + " "
                + base
                + path
                + " is not JSON; does --url (or UPSHIFT_URL) point at Upshift?");
      }
    }
    throw refused(status, response.body(), method, path);
  }

  private CliException refused(int status, String body, String method, String path) {
    JsonNode problem = problem(body);
    String title = Views.text(problem, "title");
    String detail = Views.text(problem, "detail");
    String said =
        detail != null
            ? detail
            : title != null ? title : "HTTP " + status + " from " + method + " " + base + path;
    return switch (status) {
      case 400, 422 -> {
        List<String> fields = new ArrayList<>();
        for (JsonNode error : problem.path("errors")) {
          fields.add(Views.text(error, "field") + ": " + Views.text(error, "message"));
        }
        yield fields.isEmpty()
            ? new CliException(Exit.USAGE, "the server refused the input (" + status + "): " + said)
            : new CliException(
                Exit.USAGE, "the server refused the input (" + status + "):", fields);
      }
      case 401 ->
          new CliException(
              Exit.ACCESS,
              "authentication refused (401): " + said,
              List.of(
                  credentials.header().isEmpty()
                      ? "no credentials were sent: set UPSHIFT_USER and UPSHIFT_PASSWORD (or"
                          + " --password-file), or UPSHIFT_TOKEN"
                      : "sent: " + credentials.description()));
      case 403 ->
          new CliException(
              Exit.ACCESS, "refused (403" + (title == null ? "" : " " + title) + "): " + said);
      case 404 -> new CliException(Exit.NOT_FOUND, "not found (404): " + said);
      case 409 ->
          new CliException(
              Exit.BAD_OUTCOME, "refused (409" + (title == null ? "" : " " + title) + "): " + said);
      default ->
          status >= 500
              ? new CliException(
                  Exit.UNAVAILABLE,
                  "the server failed ("
                      + status
                      + (title == null ? "" : " " + title)
                      + "): "
                      + said)
              : new CliException(
                  Exit.BAD_OUTCOME,
                  "unexpected answer ("
                      + status
                      + (title == null ? "" : " " + title)
                      + ") to "
                      + method
                      + " "
                      + path
                      + ": "
                      + said);
    };
  }

  private static JsonNode problem(String body) {
    try {
      JsonNode node = JSON.readTree(body == null ? "" : body);
      return node == null || !node.isObject() ? JSON.createObjectNode() : node;
    } catch (JsonProcessingException e) {
      return JSON.createObjectNode();
    }
  }

  private CliException unreachable(String why) {
    return new CliException(
        Exit.UNAVAILABLE,
        "cannot reach Upshift at "
            + base
            + " ("
            + why
            + "); is it running? Set --url or UPSHIFT_URL");
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private static URI baseUrl(String source, String text) {
    String trimmed = text.strip();
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    try {
      URI uri = new URI(trimmed);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https"))
          && uri.getHost() != null
          && uri.getRawQuery() == null
          && uri.getRawFragment() == null
          && uri.getRawUserInfo() == null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // answered below
    }
    throw CliException.usage(
        source
            + " '"
            + text
            + "' must be an http(s) URL without credentials, e.g. http://127.0.0.1:8080");
  }

  private static String readPasswordFile(String file) {
    Path path = Path.of(file);
    String text;
    try {
      text = Files.readString(path);
    } catch (java.nio.file.NoSuchFileException e) {
      throw CliException.usage("--password-file '" + file + "' does not exist");
    } catch (IOException | RuntimeException e) {
      throw CliException.usage(
          "--password-file '" + file + "' cannot be read (" + e.getMessage() + ")");
    }
    // One trailing line break is the file's, not the password's.
    if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
      if (text.endsWith("\r")) {
        text = text.substring(0, text.length() - 1);
      }
    }
    if (text.isEmpty()) {
      throw CliException.usage("--password-file '" + file + "' is empty");
    }
    return text;
  }

  private static Optional<String> nonBlank(String value) {
    return Optional.ofNullable(value).filter(v -> !v.isBlank());
  }
}
