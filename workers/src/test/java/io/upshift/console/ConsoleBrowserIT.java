package io.upshift.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import com.sun.net.httpserver.HttpServer;
import io.upshift.approval.ApprovalTask;
import io.upshift.platform.ReleaseRepository;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The operator console in a real headless Chromium (Debian's package, driven by Playwright) against
 * the real service, engine, Docker and demo platform: an operator starts an upgrade from the form,
 * an approver decides it from the inbox with the evidence in view, a viewer cannot, a forged form
 * is refused, the run page shows the completed run with its diagram marked, and a webhook receiver
 * hears of the waiting approval and the run's end. Screenshots of the inbox and the run page land
 * in target/screenshots (docs/console.md shows them).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/console",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:console-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
class ConsoleBrowserIT {

  static final Path SCREENSHOTS = Paths.get("target", "screenshots");
  static Deployment platform;
  static ReleaseRepository releases;
  static Playwright playwright;
  static Browser browser;

  /** A webhook receiver: the JSON notifications Upshift sends while the upgrade runs. */
  static final List<JsonNode> notifications = new java.util.concurrent.CopyOnWriteArrayList<>();

  static HttpServer webhook;

  @Autowired TestRestTemplate rest;
  @LocalServerPort int port;

  @DynamicPropertySource
  static void platform(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-console-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    platform = new Deployment(releases, "console", scratch.resolve("console")).checkout("1.0.0");
    assertThat(platform.bringUp()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    platform.register(registry, "console", bare);

    webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    webhook.createContext(
        "/hook",
        exchange -> {
          notifications.add(new ObjectMapper().readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    webhook.start();
    String url = "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook";
    registry.add("upshift.notify.webhooks[0].name", () -> "console-it");
    registry.add("upshift.notify.webhooks[0].url", () -> url);
    registry.add("upshift.notify.webhooks[0].events", () -> "approval.waiting,run.finished");
  }

  @BeforeAll
  static void startBrowser() throws Exception {
    Path chromium =
        Paths.get(System.getenv().getOrDefault("UPSHIFT_CHROMIUM", "/usr/bin/chromium"));
    assertThat(chromium)
        .as("Chromium for the browser test (install: deploy/lib/ensure-chromium.sh)")
        .isExecutable();
    Files.createDirectories(SCREENSHOTS);
    playwright =
        Playwright.create(
            new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    browser =
        playwright
            .chromium()
            .launch(
                new BrowserType.LaunchOptions()
                    .setExecutablePath(chromium)
                    .setHeadless(true)
                    .setArgs(
                        List.of(
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run")));
  }

  @AfterAll
  static void tearDown() {
    if (webhook != null) {
      webhook.stop(0);
    }
    if (browser != null) {
      browser.close();
    }
    if (playwright != null) {
      playwright.close();
    }
    if (platform != null) {
      platform.close();
    }
    if (releases != null) {
      releases.close();
    }
  }

  @Test
  void approverDecidesADemoUpgradeInTheConsoleAndSeesItComplete() throws Exception {
    // The operator starts the upgrade from the form and lands on its run page.
    Page operator = signIn(TestUsers.OPERATOR);
    operator.navigate("/runs/new");
    operator.selectOption("#runbook", "platform-upgrade");
    operator.selectOption("#platform", "console");
    operator.fill("#targetVersion", "1.1.0");
    operator.click("#start");
    operator.waitForURL("**/runs/*-*");
    String runId = operator.textContent("#run-id").strip();
    assertThat(operator.textContent("#safety")).contains("Before the point of no return");
    operator.context().close();

    // The approver sees the task with its evidence once the preparation is done.
    Page approver = signIn(TestUsers.APPROVER);
    Locator task = awaitTask(approver, runId, "Approve maintenance window");
    assertThat(task.locator(".plan-path").textContent()).contains("1.0.0").contains("1.1.0");
    // To a tenth of a second, then each hop's parts.
    assertThat(task.locator(".downtime").textContent())
        .matches("(?s)\\s*\\d+(\\.\\d)?\\s*s \\(rehearsed\\).*")
        .contains("restore point", "+ start");
    assertThat(task.locator(".backup").textContent())
        .containsPattern("\\d+(\\.\\d)? (B|KiB|MiB)")
        .contains("SHA-256");
    assertThat(task.locator(".migrations").textContent()).contains("V3");
    assertThat(task.locator(".config-changes").textContent()).contains("API_PAGE_SIZE");
    assertThat(task.locator(".plan-hash").textContent()).hasSize(64);
    approver.screenshot(
        new Page.ScreenshotOptions()
            .setPath(SCREENSHOTS.resolve("console-inbox.png"))
            .setFullPage(true));
    ApprovalTask waiting = Approvals.awaitTask(rest, runId);

    // A viewer sees the task but has no buttons, and the API refuses the viewer's decision.
    Page viewer = signIn(TestUsers.VIEWER);
    Locator viewed = awaitTask(viewer, runId, "Approve maintenance window");
    assertThat(viewed.locator("button.approve").count()).isZero();
    assertThat(viewed.locator(".no-decide").isVisible()).isTrue();
    ResponseEntity<String> refused =
        TestUsers.as(rest, TestUsers.VIEWER)
            .postForEntity(
                "/api/approvals/" + waiting.id() + "/decision",
                Map.of("decision", "approve"),
                String.class);
    assertThat(refused.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
    viewer.context().close();

    // A form posted with the approver's session cookie but without the CSRF token is refused.
    var forged =
        approver
            .request()
            .post(
                "/inbox/" + waiting.id() + "/decision",
                RequestOptions.create()
                    .setForm(FormData.create().set("decision", "approve"))
                    .setMaxRedirects(0));
    assertThat(forged.status()).isEqualTo(403);
    assertThat(Approvals.waiting(rest, runId)).extracting(ApprovalTask::id).contains(waiting.id());

    // The approver approves with a comment.
    task.locator("textarea[name=comment]").fill("window agreed with the platform team");
    task.locator("button.approve").click();
    assertThat(approver.textContent("#notice")).contains("approved");

    // After the cutover the upgrade waits for a sign-off, also decided in the inbox.
    Locator signOff = awaitTask(approver, runId, "Sign off upgrade");
    assertThat(signOff.locator(".verification li").count()).isGreaterThan(5);
    signOff.locator("textarea[name=comment]").fill("looks good");
    signOff.locator("button.approve").click();
    assertThat(approver.textContent("#notice")).contains("approved");

    // The run page shows the completed run and its diagram with the path marked.
    approver.navigate("/runs/" + runId);
    waitUntil(
        Duration.ofMinutes(3),
        () -> {
          approver.reload();
          return approver.textContent("#run-state").strip().equals("completed");
        });
    approver.waitForSelector("#diagram[data-rendered=true]");
    assertThat(Integer.parseInt(approver.getAttribute("#diagram", "data-marked"))).isGreaterThan(8);
    assertThat(approver.locator(".djs-element.marker-done").count()).isGreaterThan(8);
    assertThat(approver.locator(".djs-element.marker-ponr").count()).isEqualTo(1);
    assertThat(approver.textContent("#ponr-name")).startsWith("Stop applications");
    assertThat(approver.getAttribute("#safety", "data-level")).isEqualTo("manual");
    assertThat(approver.locator("#timeline tr[data-element=StopApplications]").count())
        .isEqualTo(1);
    approver.screenshot(
        new Page.ScreenshotOptions()
            .setPath(SCREENSHOTS.resolve("console-run.png"))
            .setFullPage(true));

    // The printable upgrade record and its JSON name who approved what, and the plan hash.
    approver.click("#record-html");
    assertThat(approver.textContent("#record-state")).isEqualTo("completed");
    assertThat(approver.textContent("body"))
        .contains("window agreed with the platform team")
        .contains(waiting.planHash());
    JsonNode record =
        TestUsers.as(rest, TestUsers.VIEWER)
            .getForObject("/api/runs/" + runId + "/record", JsonNode.class);
    assertThat(record.path("format").asText()).isEqualTo("upshift.upgrade-record/1");
    assertThat(record.path("approvals").get(0).path("audit").get(0).path("decidedBy").asText())
        .isEqualTo(TestUsers.APPROVER);
    assertThat(record.path("evidence").path("plan").path("toVersion").asText()).isEqualTo("1.1.0");
    assertThat(record.path("verification")).isNotEmpty();
    assertThat(record.path("checks").size()).isGreaterThan(5);
    // A warning (error lines in a log) is for a person to read; only FAILED fails a check.
    record.path("checks").forEach(check -> assertThat(check.asText()).matches("(ok|warning) .*"));
    assertThat(record.path("backups")).isNotEmpty();
    approver.context().close();

    // Every action is in the audit trail, with who did it.
    JsonNode audit =
        TestUsers.as(rest, TestUsers.VIEWER).getForObject("/api/audit", JsonNode.class);
    assertThat(audit.findValuesAsText("action"))
        .contains("login", "run.start", "approval.approved", "run.export");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());

    // The webhook heard of the waiting approval and of the run's end.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        notifications.stream()
                            .filter(n -> runId.equals(n.path("run").path("id").asText()))
                            .map(n -> n.path("event").asText()))
                    .contains("approval.waiting", "run.completed"));
    assertThat(notifications)
        .anySatisfy(
            n -> {
              assertThat(n.path("event").asText()).isEqualTo("approval.waiting");
              assertThat(n.path("approval").path("id").asLong()).isEqualTo(waiting.id());
            });
  }

  /** A new browser session signed in through the login form. */
  private Page signIn(String user) {
    BrowserContext context =
        browser.newContext(
            new Browser.NewContextOptions()
                .setBaseURL("http://127.0.0.1:" + port)
                .setViewportSize(1440, 1000));
    Page page = context.newPage();
    page.navigate("/login");
    page.fill("#username", user);
    page.fill("#password", TestUsers.password(user));
    page.click("#sign-in");
    page.waitForURL("**/inbox");
    assertThat(page.textContent("#signed-in-as")).isEqualTo(user);
    return page;
  }

  /** The inbox card of the run's waiting task with that name, reloading until it appears. */
  private static Locator awaitTask(Page page, String runId, String name) {
    page.navigate("/inbox");
    Locator card =
        page.locator("article.task")
            .filter(new Locator.FilterOptions().setHasText(runId))
            .filter(new Locator.FilterOptions().setHasText(name));
    waitUntil(
        Duration.ofMinutes(4),
        () -> {
          if (card.count() > 0) {
            return true;
          }
          page.reload();
          return false;
        });
    return card.first();
  }

  private static void waitUntil(Duration limit, BooleanSupplier done) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + limit);
      }
      try {
        Thread.sleep(1500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
