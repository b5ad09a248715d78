package io.upshift.engine;

import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import io.camunda.zeebe.process.test.engine.EngineFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;

/**
 * The same in-memory Zeebe engine that embedded mode starts, in a process of its own, with its gRPC
 * gateway: {@code ./upshift engine [--port N]}. Upshift then runs with {@code
 * upshift.engine.mode=remote} against it, as against a cluster, and can be restarted while the runs
 * go on. For development and tests only: the engine keeps its state in memory, so stopping this
 * process loses every run it holds. Runs until killed.
 *
 * <p>Prints one line {@code Upshift engine: gRPC gateway listening on HOST:PORT} when it takes
 * commands (tests wait for it and read the port from it).
 */
public final class StandaloneEngine {

  static final String READY = "Upshift engine: gRPC gateway listening on ";
  static final int DEFAULT_PORT = 26500;

  private StandaloneEngine() {}

  public static void main(String[] args) throws InterruptedException {
    int port;
    try {
      port = port(args);
    } catch (IllegalArgumentException e) {
      System.err.println("upshift engine: " + e.getMessage());
      System.err.println("usage: upshift engine [--port N]   (N in 0..65535, 0 picks a free port)");
      System.exit(2);
      return;
    }
    if (port == 0) {
      port = freePort();
    }
    ZeebeTestEngine engine = EngineFactory.create(port);
    engine.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  engine.stop();
                  stopped.countDown();
                },
                "upshift-engine-stop"));
    PrintStream out = System.out;
    out.println(READY + engine.getGatewayAddress());
    out.println(
        "Upshift engine: state in memory only (development and tests); stop with Ctrl-C."
            + " Point Upshift at it with --upshift.engine.mode=remote"
            + " --camunda.client.grpc-address=http://127.0.0.1:"
            + port
            + " --camunda.client.prefer-rest-over-grpc=false");
    out.flush();
    stopped.await();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the engine's gateway", e);
    }
  }

  /** {@code --port N} or {@code --port=N}; else UPSHIFT_ENGINE_PORT; else 26500. */
  static int port(String[] args) {
    String value = System.getenv("UPSHIFT_ENGINE_PORT");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--port") && i + 1 < args.length) {
        value = args[++i];
      } else if (args[i].startsWith("--port=")) {
        value = args[i].substring("--port=".length());
      } else {
        throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    if (value == null || value.isBlank()) {
      return DEFAULT_PORT;
    }
    try {
      int port = Integer.parseInt(value.strip());
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--port '" + value + "' is not a port number (0..65535, 0 picks a free port)");
    }
  }
}
