package io.upshift.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The engine in a process of its own, as {@code ./upshift engine} starts it: the service jar's
 * {@code io.upshift.engine.StandaloneEngine} through the jar's own loader. Upshift then runs
 * against it in remote mode and can be killed and restarted while the engine keeps the runs. The
 * jar exists from the package phase on, so integration tests can use it.
 */
public final class EngineProcess implements AutoCloseable {

  private static final String READY = "Upshift engine: gRPC gateway listening on ";

  private final Process process;
  private final int port;
  private final Path log;

  private EngineProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts the engine on a free port; its output goes to {@code log}. */
  public static EngineProcess start(Path log) throws IOException, InterruptedException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process process =
        new ProcessBuilder(
                List.of(
                    UpshiftProcess.java(),
                    "-cp",
                    UpshiftProcess.jar().toString(),
                    "-Dloader.main=io.upshift.engine.StandaloneEngine",
                    "org.springframework.boot.loader.launch.PropertiesLauncher",
                    "--port",
                    "0"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    while (Instant.now().isBefore(deadline)) {
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith(READY)) {
          String address = line.substring(READY.length()).strip();
          int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
          return new EngineProcess(process, port, log);
        }
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "The engine process exited with " + process.exitValue() + "; see " + log);
      }
      Thread.sleep(200);
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        "The engine process did not get ready within 2 min; see " + log);
  }

  public int port() {
    return port;
  }

  /** The value of {@code camunda.client.grpc-address} for this engine. */
  public String grpcAddress() {
    return "http://127.0.0.1:" + port;
  }

  public boolean alive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
