package io.upshift.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.support.TestOidcProvider;
import io.upshift.support.TestUsers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Sign-in on the real service: the console's form login with sessions and CSRF, bearer tokens on
 * the API, and the OIDC option end to end (the login page offers the provider; the authorization
 * code flow against a minimal provider in the test signs a user in with the roles of its ID token's
 * claim). Plain HTTP, so redirects and cookies are visible as they are.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/console-security",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:console-security-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE,
      "upshift.security.lockout.attempts=3"
    })
class ConsoleSecurityIT {

  /** The identity provider; its user is an approver by the {@code roles} claim. */
  static final TestOidcProvider oidc =
      new TestOidcProvider(
          Map.of(
              "sub", "u-4711",
              "preferred_username", "olivia",
              "roles", List.of("approver", "viewer", "payroll")));

  @DynamicPropertySource
  static void oidcClient(DynamicPropertyRegistry registry) {
    oidc.properties("test-sso", "Test SSO")
        .forEach((name, value) -> registry.add(name, () -> value));
  }

  @AfterAll
  static void stopProvider() {
    oidc.close();
  }

  /** The operator's API token in the test-users profile (its SHA-256 is configured there). */
  static final String OPERATOR_TOKEN = "operator-token-it";

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  @LocalServerPort int port;

  final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .cookieHandler(new java.net.CookieManager())
          .build();

  @Test
  void consolePagesNeedASignInAndTheFormLoginOpensASession() throws Exception {
    HttpResponse<String> anonymous = get("/inbox");
    assertThat(anonymous.statusCode()).isEqualTo(302);
    assertThat(anonymous.headers().firstValue("Location").orElseThrow()).endsWith("/login");

    signIn(TestUsers.VIEWER);
    HttpResponse<String> inbox = get("/inbox");
    assertThat(inbox.statusCode()).isEqualTo(200);
    assertThat(inbox.body()).contains("Waiting for a decision").doesNotContain("Start a run");
    assertThat(get("/runs/new").statusCode()).isEqualTo(403);
  }

  @Test
  void aWrongPasswordIsRefusedAndAudited() throws Exception {
    String token = csrf(get("/login").body());
    HttpResponse<String> refused =
        post("/login", "username=operator&password=wrong&_csrf=" + token);
    assertThat(refused.headers().firstValue("Location").orElseThrow()).endsWith("/login?error");

    String basic =
        java.util.Base64.getEncoder()
            .encodeToString(
                (TestUsers.VIEWER + ":" + TestUsers.password(TestUsers.VIEWER)).getBytes());
    HttpResponse<String> audit =
        http.send(
            HttpRequest.newBuilder(uri("/api/audit"))
                .header("Authorization", "Basic " + basic)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(audit.body())
        .contains("\"action\":\"login.refused\"")
        .contains("\"actor\":\"operator\"");
  }

  @Test
  void threeWrongPasswordsLockTheUserOutEvenWithTheRightOne() throws Exception {
    // The admin user is used by no other test here: its lock harms nobody else.
    for (int attempt = 0; attempt < 3; attempt++) {
      assertThat(basic("/api/runs", TestUsers.ADMIN, "guess-" + attempt).statusCode())
          .isEqualTo(401);
    }
    HttpResponse<String> locked =
        basic("/api/runs", TestUsers.ADMIN, TestUsers.password(TestUsers.ADMIN));
    assertThat(locked.statusCode()).isEqualTo(401);
    assertThat(locked.body()).contains("'admin' is locked after 3 refused passwords");

    String token = csrf(get("/login").body());
    HttpResponse<String> form =
        post(
            "/login",
            "username=admin&password=" + TestUsers.password(TestUsers.ADMIN) + "&_csrf=" + token);
    assertThat(form.headers().firstValue("Location").orElseThrow()).endsWith("/login?locked");
    assertThat(get("/login?locked").body()).contains("login-locked");

    // Bearer tokens cannot be guessed and stay usable.
    HttpResponse<String> bearer =
        http.send(
            HttpRequest.newBuilder(uri("/api/runs"))
                .header("Authorization", "Bearer " + OPERATOR_TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bearer.statusCode()).isEqualTo(200);
  }

  @Test
  void aFormWithoutTheCsrfTokenIsRefusedEvenWithAValidSession() throws Exception {
    signIn(TestUsers.OPERATOR);
    HttpResponse<String> page = get("/runs/new");
    assertThat(page.statusCode()).isEqualTo(200);

    HttpResponse<String> forged = post("/runs", "runbook=health-check&platform=&targetVersion=");
    assertThat(forged.statusCode()).isEqualTo(403);

    // With the token the same form is accepted (and answered with the field that is wrong).
    HttpResponse<String> real =
        post("/runs", "runbook=health-check&targetVersion=&_csrf=" + csrf(page.body()));
    assertThat(real.statusCode()).isEqualTo(200);
    assertThat(real.body()).contains("form-errors").contains("checks");
  }

  @Test
  void bearerTokensAuthenticateApiCallsAndUnknownTokensAreRefused() throws Exception {
    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(uri("/api/runs"))
                .header("Authorization", "Bearer " + OPERATOR_TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).isEqualTo(200);

    HttpResponse<String> unknown =
        http.send(
            HttpRequest.newBuilder(uri("/api/runs"))
                .header("Authorization", "Bearer not-a-token")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).contains("bearer token");
  }

  @Test
  void aRegisteredOidcClientIsOfferedAndSendsTheBrowserToTheProvider() throws Exception {
    HttpResponse<String> login = get("/login");
    assertThat(login.body())
        .contains("Sign in with Test SSO")
        .contains("/oauth2/authorization/test-sso");

    HttpResponse<String> redirect = get("/oauth2/authorization/test-sso");
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("Location").orElseThrow())
        .startsWith(oidc.base() + "/authorize?")
        .contains("client_id=upshift")
        .contains("state=")
        .contains("nonce=");
  }

  @Test
  void anOidcLoginGetsItsRolesFromTheClaimAndIsAudited() throws Exception {
    // Upshift -> provider -> back to Upshift with a code, which Upshift exchanges for an ID token.
    String toProvider =
        get("/oauth2/authorization/test-sso").headers().firstValue("Location").orElseThrow();
    String back =
        http.send(
                HttpRequest.newBuilder(URI.create(toProvider)).build(),
                HttpResponse.BodyHandlers.ofString())
            .headers()
            .firstValue("Location")
            .orElseThrow();
    assertThat(back).startsWith(uri("/login/oauth2/code/test-sso").toString());
    HttpResponse<String> signedIn =
        http.send(
            HttpRequest.newBuilder(URI.create(back)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(signedIn.statusCode()).isEqualTo(302);
    assertThat(signedIn.headers().firstValue("Location").orElseThrow()).doesNotContain("error");

    HttpResponse<String> inbox = get("/inbox");
    assertThat(inbox.statusCode()).isEqualTo(200);
    assertThat(inbox.body()).contains("<span id=\"signed-in-as\">olivia</span>");
    // APPROVER and VIEWER from the claim; "payroll" means nothing here; no OPERATOR.
    assertThat(get("/runs/new").statusCode()).isEqualTo(403);
    assertThat(get("/audit").body()).contains("olivia").contains("login");
  }

  private void signIn(String user) throws Exception {
    String token = csrf(get("/login").body());
    HttpResponse<String> response =
        post(
            "/login",
            "username=" + user + "&password=" + TestUsers.password(user) + "&_csrf=" + token);
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.headers().firstValue("Location").orElseThrow()).doesNotContain("error");
  }

  private HttpResponse<String> basic(String path, String user, String password) throws Exception {
    String credentials =
        java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes());
    return http.send(
        HttpRequest.newBuilder(uri(path)).header("Authorization", "Basic " + credentials).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String csrf(String html) {
    Matcher matcher = CSRF.matcher(html);
    assertThat(matcher.find()).as("a CSRF token in the page").isTrue();
    return matcher.group(1);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}
