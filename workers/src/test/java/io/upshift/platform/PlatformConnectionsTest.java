package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Connections to a platform's database never wait for ever on a server that does not answer. */
class PlatformConnectionsTest {

  @Test
  void everyConnectionCarriesAConnectAndASocketTimeout() {
    Properties properties =
        PlatformConnections.properties("app", "secret", PlatformConnections.SOCKET_TIMEOUT);

    assertThat(properties)
        .containsEntry("user", "app")
        .containsEntry("password", "secret")
        .containsEntry("connectTimeout", "10")
        .containsEntry("loginTimeout", "10")
        .containsEntry("socketTimeout", "300");
    assertThat(PlatformConnections.properties(null, null, Duration.ofMillis(1500)))
        .containsEntry("socketTimeout", "2")
        .doesNotContainKey("user");
    assertThatThrownBy(() -> PlatformConnections.properties("a", "b", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("socketTimeout");
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersFailsTheConnectionInsteadOfHangingIt() throws Exception {
    List<Socket> accepted = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (true) {
                        accepted.add(silent.accept());
                      }
                    } catch (Exception e) {
                      // closed
                    }
                  });
      long started = System.nanoTime();
      assertThatThrownBy(
              () ->
                  PlatformConnections.open(
                      "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/app",
                      "app",
                      "secret",
                      Duration.ofSeconds(1)))
          .isInstanceOf(SQLException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isLessThan(PlatformConnections.CONNECT_TIMEOUT.plusSeconds(5));
      acceptor.interrupt();
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }
}
