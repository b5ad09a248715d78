package io.upshift.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;

/**
 * Upshift as an operator runs it, {@code java -jar upshift.jar --property=value ...}, in a process
 * of its own that a test can kill with SIGKILL ({@link #kill()}) and start again on the same
 * database, data directory and port. Each start appends to the same log file.
 */
public final class UpshiftProcess implements AutoCloseable {

  private final Map<String, String> properties;
  private final Path log;
  private final int port;
  private Process process;

  public UpshiftProcess(Map<String, String> properties, Path log) throws IOException {
    this.properties = properties;
    this.log = log;
    try (ServerSocket socket = new ServerSocket(0)) {
      this.port = socket.getLocalPort();
    }
  }

  /** The JDK running this test (the engine needs 21+; the build runs on it). */
  static String java() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** The repackaged service jar (workers/target/upshift.jar). */
  static Path jar() {
    Path jar = DemoPlatform.ROOT.resolve("workers/target/upshift.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run the tests with mvn verify");
    }
    return jar;
  }

  /** Starts the service and waits until its readiness probe says UP. */
  public UpshiftProcess start() throws IOException, InterruptedException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    List<String> command = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
    command.add("--server.port=" + port);
    properties.forEach((k, v) -> command.add("--" + k + "=" + v));
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "Upshift exited with " + process.exitValue() + " during start-up; see " + log);
        }
        try {
          HttpResponse<String> ready =
              http.send(
                  HttpRequest.newBuilder(URI.create(url() + "/actuator/health/readiness"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (ready.statusCode() == 200 && ready.body().contains("\"UP\"")) {
            return this;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(500);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("Upshift was not ready within 5 min; see " + log);
  }

  /** SIGKILL, as {@code kill -9}: no shutdown hook, no graceful stop of the job workers. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Upshift did not die within 30 s of SIGKILL");
    }
  }

  public long pid() {
    return process.pid();
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public TestRestTemplate rest() {
    return new TestRestTemplate(new RestTemplateBuilder().rootUri(url()));
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
