package io.upshift.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.upshift.metrics.ApprovalBacklog;
import io.upshift.metrics.UpshiftMetrics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookSender} against a real HTTP server on the loopback interface. */
class NotificationSenderTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final UpshiftMetrics metrics =
      new UpshiftMetrics(registry, () -> null, () -> ApprovalBacklog.NONE);
  private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private WebhookSender sender;

  @AfterEach
  void stop() throws InterruptedException {
    if (sender != null) {
      sender.destroy();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void aServerErrorIsRetriedUntilTheReceiverTakesIt() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    NotifyProperties.Webhook webhook =
        receiver("flaky", () -> calls.incrementAndGet() <= 2 ? 503 : 204);

    sender.send(webhook, NotificationEvent.RUN_FAILED, "run.failed:r1", body());

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("flaky", "run.failed", "delivered") == 1);
    assertThat(requests).hasSize(3);
    assertThat(count("flaky", "run.failed", "failed")).isZero();
    assertThat(requests.get(0))
        .containsEntry("event", "run.failed")
        .containsEntry("delivery", "run.failed:r1")
        .containsEntry("authorization", "Bearer token-1")
        .containsEntry("content-type", "application/json")
        .containsEntry("body", "{\"event\":\"run.failed\"}");
    assertThat(requests).allSatisfy(r -> assertThat(r).containsEntry("delivery", "run.failed:r1"));
  }

  @Test
  void aSignedWebhookCarriesAnHmacTheReceiverCanRecompute() throws Exception {
    NotifyProperties.Webhook webhook = receiver("signed", () -> 204);

    sender.send(webhook, NotificationEvent.RUN_FAILED, "run.failed:r2", body());

    await().atMost(Duration.ofSeconds(10)).until(() -> requests.size() == 1);
    Map<String, String> request = requests.get(0);
    long sent = Long.parseLong(request.get("timestamp"));
    assertThat(sent).isCloseTo(java.time.Instant.now().getEpochSecond(), within(60L));
    // What a receiver does: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret.
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(
            "a-shared-signing-secret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected =
        "sha256="
            + java.util.HexFormat.of()
                .formatHex(
                    mac.doFinal(
                        (request.get("timestamp") + "." + request.get("body"))
                            .getBytes(StandardCharsets.UTF_8)));
    assertThat(request.get("signature")).isEqualTo(expected);
    assertThat(WebhookSender.signature("another-secret-value", request.get("timestamp"), body()))
        .isNotEqualTo(expected);
  }

  @Test
  void aClientErrorIsFinal() throws IOException {
    NotifyProperties.Webhook webhook = receiver("strict", () -> 400);

    sender.send(webhook, NotificationEvent.APPROVAL_WAITING, "approval.waiting:1", body());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("strict", "approval.waiting", "failed") == 1);
    assertThat(requests).hasSize(1);
  }

  @Test
  void backoffDoublesAndHonoursRetryAfterUpToThirtySeconds() {
    assertThat(WebhookSender.backoff(1, OptionalLong.empty())).isEqualTo(Duration.ofSeconds(1));
    assertThat(WebhookSender.backoff(2, OptionalLong.empty())).isEqualTo(Duration.ofSeconds(2));
    assertThat(WebhookSender.backoff(3, OptionalLong.empty())).isEqualTo(Duration.ofSeconds(4));
    assertThat(WebhookSender.backoff(1, OptionalLong.of(7))).isEqualTo(Duration.ofSeconds(7));
    assertThat(WebhookSender.backoff(1, OptionalLong.of(3600))).isEqualTo(Duration.ofSeconds(30));
    assertThat(WebhookSender.retryable(429)).isTrue();
    assertThat(WebhookSender.retryable(500)).isTrue();
    assertThat(WebhookSender.retryable(503)).isTrue();
    assertThat(WebhookSender.retryable(404)).isFalse();
    assertThat(WebhookSender.retryable(301)).as("redirects are not followed").isFalse();
  }

  private NotifyProperties.Webhook receiver(String name, java.util.function.IntSupplier status)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          requests.add(
              Map.of(
                  "event", exchange.getRequestHeaders().getFirst("X-Upshift-Event"),
                  "delivery", exchange.getRequestHeaders().getFirst("X-Upshift-Delivery"),
                  "authorization", exchange.getRequestHeaders().getFirst("Authorization"),
                  "content-type", exchange.getRequestHeaders().getFirst("Content-Type"),
                  "timestamp", exchange.getRequestHeaders().getFirst("X-Upshift-Timestamp"),
                  "signature", exchange.getRequestHeaders().getFirst("X-Upshift-Signature"),
                  "body",
                      new String(
                          exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          exchange.sendResponseHeaders(status.getAsInt(), -1);
          exchange.close();
        });
    server.start();
    NotifyProperties.Webhook webhook =
        new NotifyProperties.Webhook(
            name,
            "http://127.0.0.1:" + server.getAddress().getPort() + "/hook",
            null,
            List.of(),
            Map.of("Authorization", "Bearer token-1"),
            Duration.ofSeconds(2),
            "a-shared-signing-secret");
    sender = new WebhookSender(new NotifyProperties(null, List.of(webhook)), metrics);
    return webhook;
  }

  private static byte[] body() {
    return "{\"event\":\"run.failed\"}".getBytes(StandardCharsets.UTF_8);
  }

  private double count(String webhook, String event, String outcome) {
    var counter =
        registry
            .find("upshift.notifications")
            .tags("webhook", webhook, "event", event, "outcome", outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }
}
