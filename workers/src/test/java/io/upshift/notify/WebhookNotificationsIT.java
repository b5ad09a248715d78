package io.upshift.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import io.upshift.support.Approvals;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Webhook notifications from the whole service on the real embedded engine, with the test runbook
 * approval-demo, to a real HTTP receiver on the loopback interface. The webhooks, registered by
 * properties:
 *
 * <ul>
 *   <li>{@code everything}: json, every event, with an Authorization header;
 *   <li>{@code chat}: slack format, {@code run.finished} and {@code approval.waiting};
 *   <li>{@code rejections}: json, {@code run.rejected} only;
 *   <li>{@code flaky}: {@code approval.waiting} only; answers 500 to the first two attempts of each
 *       delivery;
 *   <li>{@code gone}: {@code run.rejected} only; always answers 503.
 * </ul>
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/notify",
      "spring.datasource.url=jdbc:h2:mem:notify-it;DB_CLOSE_DELAY=-1",
      "upshift.notify.base-url=https://upshift.example.com/",
      TestUsers.PROFILE
    })
@ExtendWith(OutputCaptureExtension.class)
class WebhookNotificationsIT {

  private static final String SECRET = "Bearer it-secret-7f3a";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Receiver receiver = new Receiver();

  @Autowired TestRestTemplate rest;
  @Autowired MeterRegistry meters;

  @DynamicPropertySource
  static void webhooks(DynamicPropertyRegistry registry) {
    String base = receiver.base();
    String webhook = "upshift.notify.webhooks";
    registry.add(webhook + "[0].name", () -> "everything");
    registry.add(webhook + "[0].url", () -> base + "/everything");
    registry.add(webhook + "[0].headers.Authorization", () -> SECRET);
    registry.add(webhook + "[1].name", () -> "chat");
    registry.add(webhook + "[1].url", () -> base + "/chat");
    registry.add(webhook + "[1].format", () -> "slack");
    registry.add(webhook + "[1].events", () -> "run.finished,approval.waiting");
    registry.add(webhook + "[2].name", () -> "rejections");
    registry.add(webhook + "[2].url", () -> base + "/rejections");
    registry.add(webhook + "[2].events", () -> "run.rejected");
    registry.add(webhook + "[3].name", () -> "flaky");
    registry.add(webhook + "[3].url", () -> base + "/flaky");
    registry.add(webhook + "[3].events", () -> "approval.waiting");
    registry.add(webhook + "[4].name", () -> "gone");
    registry.add(webhook + "[4].url", () -> base + "/gone");
    registry.add(webhook + "[4].events", () -> "run.rejected");
    registry.add(webhook + "[4].timeout", () -> "2s");
  }

  @AfterAll
  static void stopReceiver() {
    receiver.stop();
  }

  @Test
  void anApprovedRunNotifiesTheWaitingApprovalThenItsCompletion() {
    RunView run = start(Map.of("planHash", "sha256-notify-approve"));
    ApprovalTask task = Approvals.awaitTask(rest, run.id());

    Received waiting = receiver.await("/everything", forRun("approval.waiting", run.id()));
    assertThat(waiting.body().at("/approval/id").asLong()).isEqualTo(task.id());
    assertThat(waiting.body().at("/approval/name").asText())
        .isEqualTo("Approve maintenance window");
    assertThat(waiting.body().at("/approval/planHash").asText()).isEqualTo("sha256-notify-approve");
    assertThat(Instant.parse(waiting.body().at("/approval/dueAt").asText()))
        .isEqualTo(task.dueDate());
    assertThat(waiting.body().at("/run/state").asText()).isEqualTo("active");
    assertThat(waiting.body().at("/run/requestedBy").asText()).isEqualTo(TestUsers.OPERATOR);
    assertThat(waiting.body().at("/links/run").asText())
        .isEqualTo("https://upshift.example.com/runs/" + run.id());
    assertThat(waiting.body().at("/links/approval").asText())
        .isEqualTo("https://upshift.example.com/inbox");
    assertThat(waiting.body().has("evidence")).isFalse();
    assertThat(waiting.body().get("approval").has("evidence")).isFalse();
    assertThat(waiting.header("Authorization")).isEqualTo(SECRET);
    assertThat(waiting.header("X-Upshift-Event")).isEqualTo("approval.waiting");
    assertThat(waiting.header("X-Upshift-Delivery")).isEqualTo("approval.waiting:" + task.id());

    Received chatWaiting = receiver.await("/chat", text("Approval waiting", shortId(run.id())));
    assertThat(chatWaiting.body().get("text").asText())
        .contains("\"Approve maintenance window\"")
        .contains("|approvals inbox>");

    Approvals.decide(rest, task, "approve", "go");

    Received completed = receiver.await("/everything", forRun("run.completed", run.id()));
    assertThat(completed.body().at("/run/state").asText()).isEqualTo("completed");
    assertThat(completed.body().at("/run/runbook").asText()).isEqualTo("approval-demo");
    assertThat(completed.body().at("/run/endedAt").isTextual()).isTrue();
    assertThat(completed.body().has("approval")).isFalse();
    Received chatCompleted =
        receiver.await("/chat", text("Run <https://upshift.example.com/runs/" + run.id()));
    assertThat(chatCompleted.body().get("text").asText())
        .contains("of approval-demo (requested by operator) completed.");

    // Both notifications were raised once, and the filters kept the rest away.
    assertThat(receiver.received("/everything", forRun("approval.waiting", run.id()))).hasSize(1);
    assertThat(receiver.received("/everything", forRun(null, run.id()))).hasSize(2);
    assertThat(receiver.received("/rejections", forRun(null, run.id()))).isEmpty();
    assertThat(receiver.received("/gone", forRun(null, run.id()))).isEmpty();
  }

  @Test
  void aRejectedRunGoesToTheRejectionSubscribersAndADeadReceiverIsGivenUpOnQuietly(
      CapturedOutput output) {
    RunView run = start(Map.of("planHash", "sha256-notify-reject"));
    ApprovalTask task = Approvals.awaitTask(rest, run.id());
    receiver.await("/everything", forRun("approval.waiting", run.id()));

    Approvals.decide(rest, task, "reject", "not this week");

    Received rejected = receiver.await("/rejections", forRun("run.rejected", run.id()));
    assertThat(rejected.body().at("/run/state").asText()).isEqualTo("rejected");
    assertThat(rejected.body().at("/run/outcomeMessage").asText())
        .isEqualTo("Rejected by approver: not this week");
    assertThat(rejected.header("Authorization")).as("headers are per webhook").isNull();
    receiver.await("/everything", forRun("run.rejected", run.id()));
    receiver.await("/chat", text(shortId(run.id()), "was rejected: Rejected by approver"));
    assertThat(receiver.received("/rejections", forRun(null, run.id()))).hasSize(1);

    // 503 on every attempt: the first try and three retries, then a WARN and a failed count.
    await()
        .atMost(WAIT)
        .until(() -> count("gone", "run.rejected", "failed") >= 1 && logged(output, run.id()));
    assertThat(receiver.received("/gone", forRun("run.rejected", run.id()))).hasSize(4);
    assertThat(output.getAll())
        .contains("to webhook 'gone' given up after 4 attempt(s): the receiver answered HTTP 503")
        .doesNotContain(SECRET)
        .doesNotContain(receiver.base() + "/gone");
  }

  @Test
  void aReceiverThatFailsTwiceGetsTheNotificationOnTheThirdAttempt() {
    RunView run = start(Map.of("planHash", "sha256-notify-flaky"));
    ApprovalTask task = Approvals.awaitTask(rest, run.id());

    // This run's delivery, not the shared counter: other tests' deliveries may be retrying too.
    await()
        .atMost(WAIT)
        .until(
            () ->
                receiver.received("/flaky", forRun("approval.waiting", run.id())).stream()
                    .anyMatch(r -> r.answered() == 200));
    List<Received> attempts = receiver.received("/flaky", forRun("approval.waiting", run.id()));
    assertThat(attempts).extracting(Received::answered).containsExactly(500, 500, 200);
    assertThat(attempts)
        .extracting(r -> r.header("X-Upshift-Delivery"))
        .containsOnly("approval.waiting:" + task.id());
    assertThat(attempts.get(2).body().at("/approval/id").asLong()).isEqualTo(task.id());

    Approvals.decide(rest, task, "approve", "ok");
    receiver.await("/everything", forRun("run.completed", run.id()));
  }

  @Test
  void theReminderAnnouncesTheApprovalExpiringThenTheRunExpires() {
    RunView run =
        start(
            Map.of(
                "planHash", "sha256-notify-expire",
                // Leaves the inbox worker time to store the task before the reminder looks.
                "reminderAfter", "PT3S",
                "approvalTimeout", "PT20S"));
    ApprovalTask task = Approvals.awaitTask(rest, run.id());

    Received expiring = receiver.await("/everything", forRun("approval.expiring", run.id()));
    assertThat(expiring.body().at("/approval/id").asLong()).isEqualTo(task.id());
    assertThat(expiring.body().at("/approval/remindedAt").isTextual()).isTrue();
    assertThat(Instant.parse(expiring.body().at("/approval/dueAt").asText()))
        .isAfter(Instant.parse(expiring.body().get("occurredAt").asText()));
    assertThat(expiring.body().get("id").asText())
        .startsWith("approval.expiring:" + task.id() + ":");

    Received expired = receiver.await("/everything", forRun("run.expired", run.id()));
    assertThat(expired.body().at("/run/state").asText()).isEqualTo("expired");
    receiver.await("/chat", text(shortId(run.id()), "expired without a decision"));
    assertThat(receiver.received("/chat", text(shortId(run.id()), "Reminder:")))
        .as("chat subscribed to approval.waiting and run.finished only")
        .isEmpty();
  }

  private RunView start(Map<String, Object> variables) {
    Map<String, Object> all = new HashMap<>(variables);
    all.put("evidence", Map.of("path", "1.0.0 -> 1.1.0"));
    ResponseEntity<RunView> started =
        TestUsers.as(rest, TestUsers.OPERATOR)
            .postForEntity(
                "/api/runs", Map.of("runbook", "approval-demo", "variables", all), RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    return started.getBody();
  }

  private double count(String webhook, String event, String outcome) {
    Counter counter =
        meters
            .find("upshift.notifications")
            .tags("webhook", webhook, "event", event, "outcome", outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  private static boolean logged(CapturedOutput output, String runId) {
    return output.getAll().contains("run.rejected:" + runId + ") to webhook 'gone' given up");
  }

  private static String shortId(String runId) {
    return "|" + runId.substring(0, runId.indexOf('-')) + ">";
  }

  /** A json notification of {@code event} (any when null) about the run. */
  private static Predicate<Received> forRun(String event, String runId) {
    return r ->
        runId.equals(r.body().at("/run/id").asText())
            && (event == null || event.equals(r.body().path("event").asText()));
  }

  /** A slack message containing every part. */
  private static Predicate<Received> text(String... parts) {
    return r -> {
      String text = r.body().path("text").asText();
      for (String part : parts) {
        if (!text.contains(part)) {
          return false;
        }
      }
      return true;
    };
  }

  record Received(String path, Map<String, String> headers, JsonNode body, int answered) {

    String header(String name) {
      return headers.get(name.toLowerCase());
    }
  }

  /** The webhook receivers: one HTTP server on the loopback interface, one path per webhook. */
  static final class Receiver {

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> flakyAttempts = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    Receiver() {
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      server.createContext("/everything", exchange -> take(exchange, 200));
      server.createContext("/chat", exchange -> take(exchange, 200));
      server.createContext("/rejections", exchange -> take(exchange, 204));
      server.createContext("/gone", exchange -> take(exchange, 503));
      server.createContext(
          "/flaky",
          exchange -> {
            String delivery = exchange.getRequestHeaders().getFirst("X-Upshift-Delivery");
            int attempt =
                flakyAttempts.computeIfAbsent(delivery, d -> new AtomicInteger()).incrementAndGet();
            take(exchange, attempt <= 2 ? 500 : 200);
          });
      server.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void stop() {
      server.stop(0);
    }

    List<Received> received(String path, Predicate<Received> match) {
      return received.stream().filter(r -> r.path().equals(path) && match.test(r)).toList();
    }

    Received await(String path, Predicate<Received> match) {
      return org.awaitility.Awaitility.await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> received(path, match), list -> !list.isEmpty())
          .get(0);
    }

    private void take(HttpExchange exchange, int status) throws IOException {
      Map<String, String> headers = new HashMap<>();
      exchange
          .getRequestHeaders()
          .forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));
      JsonNode body = json.readTree(exchange.getRequestBody().readAllBytes());
      received.add(new Received(exchange.getRequestURI().getPath(), headers, body, status));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    }
  }
}
