package io.upshift.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.upshift.UpshiftApplication;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Start-up must fail with a message an operator can act on, not a bare stack trace. */
class EngineStartupFailureIT {

  @Test
  void embeddedEnginePortAlreadyTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();

      Throwable failure =
          start("--upshift.engine.port=" + port, "--upshift.data-dir=target/it-data/port-taken");

      FailureAnalysis analysis = analyse(failure);
      assertThat(analysis.getDescription()).contains("port " + port).contains("already in use");
      assertThat(analysis.getAction()).contains("upshift.engine.port");
    }
  }

  @Test
  void remoteClusterUnreachable() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }

    Throwable failure =
        start(
            "--upshift.engine.mode=remote",
            "--upshift.engine.connect-timeout=3s",
            "--camunda.client.mode=self-managed",
            "--camunda.client.grpc-address=http://127.0.0.1:" + closedPort,
            "--camunda.client.rest-address=http://127.0.0.1:" + closedPort,
            "--camunda.client.prefer-rest-over-grpc=false",
            "--upshift.data-dir=target/it-data/remote-unreachable");

    FailureAnalysis analysis = analyse(failure);
    assertThat(analysis.getDescription())
        .contains("http://127.0.0.1:" + closedPort)
        .contains("did not answer")
        .contains("remote mode");
    assertThat(analysis.getAction()).contains("camunda.client.grpc-address");
  }

  private static Throwable start(String... args) {
    SpringApplication app = new SpringApplication(UpshiftApplication.class);
    return catchThrowable(() -> app.run(concat(args, "--server.port=0")).close());
  }

  private static FailureAnalysis analyse(Throwable failure) {
    assertThat(failure).as("start-up should have failed").isNotNull();
    FailureAnalysis analysis = new EngineFailureAnalyzer().analyze(failure);
    assertThat(analysis).as("analysis of " + failure).isNotNull();
    return analysis;
  }

  private static String[] concat(String[] args, String extra) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = extra;
    return all;
  }
}
