package io.upshift.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.platform.PlatformDescriptor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Checks never fail because of the client: against servers that close connections (HTTP/1.0, like
 * Python's standard library; a keep-alive server that drops idle connections) and servers that drop
 * a request without answering, a smoke POST passes every time, and a resend is recorded.
 */
class HttpExchangeTest {

  private static final PlatformDescriptor.SmokeTest CREATE =
      new PlatformDescriptor.SmokeTest(
          "create-item",
          "POST",
          null,
          Map.of("Content-Type", "application/json"),
          "{\"name\": \"smoke\"}",
          201,
          Map.of("name", "smoke"));

  @Test
  void smokePostAgainstAnHttp10ServerPasses50TimesInARow() throws Exception {
    try (TinyServer server = new TinyServer(Mode.HTTP_10)) {
      for (int i = 0; i < 50; i++) {
        PlatformVerification.Result result = PlatformVerification.smoke(CREATE, server.url());
        assertThat(result.passed()).as("attempt %d: %s", i + 1, result.detail()).isTrue();
        assertThat(result.detail()).contains("on attempt 1");
      }
      assertThat(server.requests.get()).isEqualTo(50);
    }
  }

  @Test
  void aServerThatDropsIdleKeepAliveConnectionsNeverFailsACheck() throws Exception {
    try (TinyServer server = new TinyServer(Mode.KEEP_ALIVE_THEN_DROP)) {
      for (int i = 0; i < 50; i++) {
        PlatformVerification.Result result = PlatformVerification.smoke(CREATE, server.url());
        assertThat(result.passed()).as("attempt %d: %s", i + 1, result.detail()).isTrue();
        Thread.sleep(20);
      }
    }
  }

  @Test
  void aRequestThatGotNoAnswerIsSentOnceMoreOnAFreshConnectionAndTheRecordSaysSo()
      throws Exception {
    try (TinyServer server = new TinyServer(Mode.DROP_FIRST)) {
      List<String> notes = new ArrayList<>();
      var response =
          HttpExchange.send(
              HttpRequest.newBuilder(URI.create(server.url()))
                  .timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              notes);
      assertThat(response.statusCode()).isEqualTo(201);
      assertThat(notes).singleElement().asString().contains("sent again on a fresh connection");
      assertThat(server.connections.get()).isEqualTo(2);

      PlatformVerification.Result result = PlatformVerification.smoke(CREATE, server.url());
      assertThat(result.passed()).isTrue();
    }
  }

  @Test
  void aSmokeTestThatKeepsFailingListsEveryAttempt() throws Exception {
    try (TinyServer server = new TinyServer(Mode.ALWAYS_500)) {
      PlatformVerification.Result result = PlatformVerification.smoke(CREATE, server.url());
      assertThat(result.passed()).isFalse();
      assertThat(result.detail())
          .contains("answered 500 (expected 201)")
          .contains("#1 ")
          .contains("#2 ")
          .contains("#3 ");
      assertThat(server.requests.get()).isEqualTo(3);
    }
  }

  enum Mode {
    HTTP_10,
    KEEP_ALIVE_THEN_DROP,
    DROP_FIRST,
    ALWAYS_500
  }

  /** A raw socket server: answers the way each mode says, one thread. */
  static final class TinyServer implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final Mode mode;
    final Thread thread;

    TinyServer(Mode mode) throws IOException {
      this.mode = mode;
      this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      this.thread = new Thread(this::serve, "tiny-http-" + mode);
      thread.setDaemon(true);
      thread.start();
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/api/items";
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (Socket client = socket.accept()) {
          int n = connections.incrementAndGet();
          client.setSoTimeout(5000);
          if (mode == Mode.DROP_FIRST && n == 1) {
            readRequest(client);
            client.setSoLinger(true, 0); // reset, no answer at all
            continue;
          }
          do {
            if (!readRequest(client)) {
              break;
            }
            requests.incrementAndGet();
            String body = "{\"id\": 1, \"name\": \"smoke\"}";
            boolean http10 = mode == Mode.HTTP_10;
            int status = mode == Mode.ALWAYS_500 ? 500 : 201;
            String head =
                (http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
                    + status
                    + (status == 201 ? " Created" : " Internal Server Error")
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n";
            OutputStream out = client.getOutputStream();
            out.write((head + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (mode == Mode.KEEP_ALIVE_THEN_DROP) {
              // Promises keep-alive, then drops the connection shortly after: a pooled client
              // would send its next request into a closed socket.
              Thread.sleep(10);
              break;
            }
          } while (mode == Mode.ALWAYS_500 || mode == Mode.DROP_FIRST);
        } catch (IOException | InterruptedException e) {
          // the next connection
        }
      }
    }

    /** Reads one request (head and a Content-Length body); false at end of stream. */
    private static boolean readRequest(Socket client) throws IOException {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
      String line = in.readLine();
      if (line == null || line.isEmpty()) {
        return false;
      }
      int length = 0;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        if (line.toLowerCase().startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      for (int i = 0; i < length; i++) {
        if (in.read() < 0) {
          break;
        }
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
