package io.upshift.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;

/**
 * Upshift as an operator runs it: {@code java -jar workers/target/upshift.jar} in a process of its
 * own (embedded engine, H2 file database under its own data directory, its own HTTP and engine
 * ports, the test users), which a test can kill with {@code kill -9} and start again on the same
 * data directory. The jar is built by the package phase, before integration tests run.
 *
 * <p>Upshift's database is opened with H2's automatic mixed mode, so the test reads it (side-effect
 * counts) while the process runs; read it only while the process is up.
 */
public final class UpshiftProcess implements AutoCloseable {

  private static final Path JAR = DemoPlatform.ROOT.resolve("workers/target/upshift.jar");
  private static final Path TEST_USERS =
      DemoPlatform.ROOT.resolve("workers/target/test-classes/application-test-users.yaml");
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(8);

  private final Path data;
  private final Map<String, String> properties;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private int httpPort;
  private int starts;

  /**
   * @param data the data directory (database, backups, run files), kept across restarts
   * @param properties Spring properties, e.g. the platforms ({@code upshift.platforms.*})
   */
  public UpshiftProcess(Path data, Map<String, String> properties) {
    this.data = data.toAbsolutePath();
    this.properties = new LinkedHashMap<>(properties);
  }

  /** Starts the process and waits until it is ready (runbooks deployed, workers open). */
  public UpshiftProcess start() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("Upshift is already running as pid " + process.pid());
    }
    if (!Files.exists(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run the package phase first");
    }
    Files.createDirectories(data);
    httpPort = FreePorts.next();
    List<String> command = new ArrayList<>();
    command.add(java());
    command.add("-Xmx768m");
    command.add("-jar");
    command.add(JAR.toString());
    Map<String, String> all = new LinkedHashMap<>();
    all.put("server.port", String.valueOf(httpPort));
    all.put("server.address", "127.0.0.1");
    all.put("upshift.engine.port", String.valueOf(FreePorts.next()));
    all.put("upshift.data-dir", data.toString());
    all.put("spring.datasource.url", jdbcUrl());
    all.put("spring.profiles.active", "test-users");
    all.put("spring.config.additional-location", "optional:file:" + TEST_USERS);
    all.putAll(properties);
    all.forEach((k, v) -> command.add("--" + k + "=" + v));
    Path log = data.resolve("upshift-" + (++starts) + ".log");
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Upshift exited with " + process.exitValue() + " while starting; " + tail(log));
      }
      if (ready()) {
        return this;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException(
        "Upshift was not ready within " + READY_TIMEOUT + "; " + tail(log));
  }

  /** {@code kill -9}: no shutdown hook runs, nothing is flushed or closed. */
  public void kill9() throws IOException, InterruptedException {
    long pid = process.pid();
    Process kill = new ProcessBuilder("kill", "-9", String.valueOf(pid)).inheritIO().start();
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -9 " + pid + " failed");
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Upshift " + pid + " still alive after kill -9");
    }
  }

  public long pid() {
    return process.pid();
  }

  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** The JDK running this test (the engine needs 21+; the build runs on it). */
  public static String java() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** The repackaged service jar (workers/target/upshift.jar), built by the package phase. */
  public static Path jar() {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run the tests with mvn verify");
    }
    return JAR;
  }

  /** A client of the API (add a user with {@link TestUsers#as}). */
  public TestRestTemplate rest() {
    return new TestRestTemplate(new RestTemplateBuilder().rootUri(url()));
  }

  /** Upshift's own database, opened beside the running process (H2 mixed mode). */
  public Connection database() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), "upshift", "");
  }

  public Path dataDirectory() {
    return data;
  }

  private String jdbcUrl() {
    return "jdbc:h2:file:" + data.resolve("upshift") + ";AUTO_SERVER=TRUE";
  }

  private boolean ready() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url() + "/actuator/health/readiness"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("UP");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return "last lines of "
          + log
          + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "no log at " + log;
    }
  }

  /** Stops the process if it runs (gracefully, then forcibly). */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
