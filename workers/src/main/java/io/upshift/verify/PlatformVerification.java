package io.upshift.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;

/**
 * Verifies an upgraded platform against its descriptor (seed 001's verify_upgrade.sh and seed 003's
 * verification script, done properly): health checks, smoke requests (including a write), the
 * database, data invariants, protected tables against the counts at the stop, required indexes, and
 * a scan of the services' logs for errors.
 */
@Service
public class PlatformVerification {

  static final Pattern LOG_ERRORS =
      Pattern.compile("(?i)\\b(ERROR|FATAL|CRITICAL|PANIC|Traceback)\\b");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final int SMOKE_ATTEMPTS = 3;
  private static final Duration SMOKE_PAUSE = Duration.ofSeconds(1);
  private static final Duration SMOKE_BUDGET = Duration.ofSeconds(45);

  private final HttpCheckService http;

  PlatformVerification(HttpCheckService http) {
    this.http = http;
  }

  /**
   * One verification result: a named check, passed or not, and what was seen.
   *
   * @param advisory a finding shown to people that never fails the verification (error lines in a
   *     service's log)
   */
  public record Result(String check, boolean passed, String detail, boolean advisory) {

    public Result(String check, boolean passed, String detail) {
      this(check, passed, detail, false);
    }

    /**
     * How the record and the run journal show it: {@code ok}, {@code warning} or {@code FAILED}.
     */
    public String line() {
      return (!passed ? "FAILED " : advisory ? "warning " : "ok ") + check + ": " + detail;
    }
  }

  public List<Result> verify(
      InstalledPlatform installed, Map<String, Long> countsAtStop, Map<String, String> logs)
      throws InterruptedException {
    PlatformDescriptor d = installed.descriptor();
    List<Result> results = new ArrayList<>(healthChecks(installed));
    for (PlatformDescriptor.SmokeTest smoke : nullSafe(d.smokeTests())) {
      results.add(smoke(installed, smoke));
    }
    databaseChecks(installed, countsAtStop, results);
    results.addAll(logScan(logs));
    return results;
  }

  /**
   * Error lines in each service's log since the hop stopped the platform, as advisory findings: a
   * log line alone never fails a release. A platform logs ERROR with a traceback when a client
   * hangs up before its answer (a probe's timeout under load), and a verification that failed on
   * that rolled back a good upgrade; the health checks, smoke requests and database checks decide.
   */
  static List<Result> logScan(Map<String, String> logs) {
    List<Result> results = new ArrayList<>();
    for (Map.Entry<String, String> log : logs.entrySet()) {
      List<String> errors =
          log.getValue().lines().filter(l -> LOG_ERRORS.matcher(l).find()).toList();
      results.add(
          errors.isEmpty()
              ? new Result("log " + log.getKey(), true, "no errors")
              : new Result(
                  "log " + log.getKey(),
                  true,
                  errors.size()
                      + " error line(s), for a person to read (not a failure): "
                      + String.join(" | ", errors.subList(0, Math.min(3, errors.size()))),
                  true));
    }
    return results;
  }

  /** The descriptor's health checks only (what a rollback checks on the release it restored). */
  public List<Result> healthChecks(InstalledPlatform installed) throws InterruptedException {
    return healthChecks(installed.descriptor(), installed.env()::substitute);
  }

  /**
   * The checks of a release staged in the rehearsal (see the backup capability's staging): health
   * checks and smoke requests against the staged services, through {@code url}, which maps a
   * descriptor URL (variables substituted) to the staged service's address, or returns null when no
   * staged service serves it (the check is then reported as not staged and does not fail); then the
   * database checks (invariants, protected tables against {@code countsBefore}, required indexes)
   * against the restored copies in {@code endpoints} (by database id). The log scan is left out.
   *
   * @param smokeTests whether to send the smoke requests (not when the staged services did not
   *     start: they would only fail too)
   */
  public List<Result> verifyStaged(
      PlatformDescriptor descriptor,
      io.upshift.platform.EnvFile env,
      java.util.function.UnaryOperator<String> url,
      Map<String, io.upshift.platform.DatabaseEndpoints.Endpoint> endpoints,
      Map<String, Long> countsBefore,
      boolean smokeTests)
      throws InterruptedException {
    List<Result> results =
        new ArrayList<>(healthChecks(descriptor, template -> url.apply(env.substitute(template))));
    for (PlatformDescriptor.SmokeTest smoke :
        smokeTests ? nullSafe(descriptor.smokeTests()) : List.<PlatformDescriptor.SmokeTest>of()) {
      String target = url.apply(env.substitute(smoke.url()));
      results.add(
          target == null
              ? new Result(
                  "smoke " + smoke.name(),
                  true,
                  "not staged: no staged service publishes " + env.substitute(smoke.url()))
              : smoke(smoke, target));
    }
    List<PlatformDescriptor.Database> databases = descriptor.databases();
    boolean several = databases.size() > 1;
    for (PlatformDescriptor.Database db : databases) {
      var endpoint = endpoints.get(db.id());
      if (endpoint == null) {
        results.add(
            new Result(
                several ? "database " + db.id() : "database",
                true,
                "not staged: no restored copy (new in this release)"));
        continue;
      }
      databaseChecks(db, several, endpoint, countsBefore, results);
    }
    return results;
  }

  private List<Result> healthChecks(
      PlatformDescriptor descriptor, java.util.function.UnaryOperator<String> url)
      throws InterruptedException {
    List<Result> results = new ArrayList<>();
    for (PlatformDescriptor.HttpExpectation check : nullSafe(descriptor.healthChecks())) {
      String target = url.apply(check.url());
      if (target == null) {
        results.add(
            new Result(
                "health " + check.name(),
                true,
                "not staged: no staged service publishes " + check.url()));
        continue;
      }
      List<io.upshift.run.FieldError> errors = new ArrayList<>();
      HttpCheck parsed =
          HttpCheck.parse(
              Map.of(
                  "url",
                  target,
                  "expectedStatus",
                  check.expectStatus() == null ? 200 : check.expectStatus(),
                  "attempts",
                  5,
                  "backoffSeconds",
                  1),
              "healthChecks." + check.name() + ".",
              errors);
      if (parsed == null) {
        results.add(new Result("health " + check.name(), false, errors.toString()));
        continue;
      }
      HttpCheckResult r = http.check(parsed);
      results.add(new Result("health " + check.name(), r.healthy(), r.summary()));
    }
    return results;
  }

  /**
   * The checks of every database (version 1: the top-level checks, as {@link
   * PlatformDescriptor#databases()} presents them): it answers, its invariants hold, its protected
   * tables did not shrink since the stop, its required indexes exist. With several databases the
   * checks are named {@code <id>/...} and the counts at the stop are keyed {@code <id>.<table>}.
   */
  private void databaseChecks(
      InstalledPlatform installed, Map<String, Long> countsAtStop, List<Result> results) {
    List<PlatformDescriptor.Database> databases = installed.descriptor().databases();
    if (databases.isEmpty()) {
      return;
    }
    boolean several = databases.size() > 1;
    boolean needsDocker = databases.stream().anyMatch(db -> !db.publishedOnHost());
    com.github.dockerjava.api.DockerClient docker =
        needsDocker ? io.upshift.compose.DockerClients.local() : null;
    try {
      for (PlatformDescriptor.Database db : databases) {
        databaseChecks(installed, db, several, docker, countsAtStop, results);
      }
    } finally {
      if (docker != null) {
        try {
          docker.close();
        } catch (IOException e) {
          // closing a local client: nothing to do
        }
      }
    }
  }

  private void databaseChecks(
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      boolean several,
      com.github.dockerjava.api.DockerClient docker,
      Map<String, Long> countsAtStop,
      List<Result> results) {
    io.upshift.platform.DatabaseEndpoints.Endpoint endpoint;
    try {
      endpoint = io.upshift.platform.DatabaseEndpoints.resolve(installed, db, docker);
    } catch (RuntimeException e) {
      results.add(new Result(several ? "database " + db.id() : "database", false, e.getMessage()));
      return;
    }
    databaseChecks(db, several, endpoint, countsAtStop, results);
  }

  private void databaseChecks(
      PlatformDescriptor.Database db,
      boolean several,
      io.upshift.platform.DatabaseEndpoints.Endpoint endpoint,
      Map<String, Long> countsAtStop,
      List<Result> results) {
    String prefix = several ? db.id() + "/" : "";
    String where = endpoint.jdbcUrl();
    try (Connection c =
        io.upshift.platform.PlatformConnections.open(
            endpoint.jdbcUrl(), endpoint.user(), endpoint.password())) {
      results.add(
          new Result(several ? "database " + db.id() : "database", true, where + " answers"));
      for (PlatformDescriptor.Invariant invariant : nullSafe(db.dataInvariants())) {
        int rows = 0;
        try (ResultSet rs = c.createStatement().executeQuery(invariant.sql())) {
          while (rs.next() && rows < 1000) {
            rows++;
          }
        }
        results.add(
            new Result(
                "invariant " + prefix + invariant.name(),
                rows == 0,
                rows == 0 ? "holds" : rows + " violating rows"));
      }
      for (String table : nullSafe(db.protectedTables())) {
        Long before = countsAtStop.get(db.id() + "." + table);
        if (before == null && !several) {
          before = countsAtStop.get(table);
        }
        long now;
        try (ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM public.\"" + table.replace("\"", "\"\"") + "\"")) {
          rs.next();
          now = rs.getLong(1);
        }
        boolean ok = before == null || now >= before;
        results.add(
            new Result(
                "rows " + prefix + table,
                ok,
                now
                    + " rows"
                    + (before == null ? " (new table)" : ", " + before + " at the stop")));
      }
      for (PlatformDescriptor.IndexRef index : nullSafe(db.requiredIndexes())) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND tablename = ? AND indexname = ?")) {
          ps.setString(1, index.table());
          ps.setString(2, index.name());
          try (ResultSet rs = ps.executeQuery()) {
            boolean exists = rs.next();
            results.add(
                new Result(
                    "index " + prefix + index.name(),
                    exists,
                    exists ? "exists on " + index.table() : "missing on " + index.table()));
          }
        }
      }
    } catch (SQLException e) {
      results.add(
          new Result(
              several ? "database " + db.id() : "database", false, where + ": " + e.getMessage()));
    }
  }

  /**
   * A smoke request, tried up to {@value #SMOKE_ATTEMPTS} times with a pause between tries and
   * within {@link #SMOKE_BUDGET} in all, before it counts as failed: a flaky answer must not cost a
   * rollback. The detail lists every attempt that did not pass.
   */
  private Result smoke(InstalledPlatform installed, PlatformDescriptor.SmokeTest smoke)
      throws InterruptedException {
    return smoke(smoke, installed.env().substitute(smoke.url()));
  }

  /** A smoke request against {@code url} (variables already substituted). */
  static Result smoke(PlatformDescriptor.SmokeTest smoke, String url) throws InterruptedException {
    String method = smoke.method() == null ? "GET" : smoke.method();
    String name = "smoke " + smoke.name();
    long deadline = System.nanoTime() + SMOKE_BUDGET.toNanos();
    List<String> failed = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      List<String> notes = new ArrayList<>();
      String problem = smokeOnce(smoke, url, method, notes);
      if (problem == null) {
        notes.add(0, "passed");
        String before = failed.isEmpty() ? "" : " (before: " + String.join("; ", failed) + ")";
        return new Result(
            name,
            true,
            method
                + " "
                + url
                + " "
                + String.join(", ", notes)
                + " on attempt "
                + attempt
                + before);
      }
      notes.add(problem);
      failed.add("#" + attempt + " " + String.join(", then ", notes));
      if (attempt >= SMOKE_ATTEMPTS || System.nanoTime() + SMOKE_PAUSE.toNanos() > deadline) {
        return new Result(
            name,
            false,
            method + " " + url + " " + problem + " (attempts: " + String.join("; ", failed) + ")");
      }
      Thread.sleep(SMOKE_PAUSE.toMillis());
    }
  }

  /** One try of a smoke request: null when it passed, else what was wrong. */
  private static String smokeOnce(
      PlatformDescriptor.SmokeTest smoke, String url, String method, List<String> notes)
      throws InterruptedException {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(15))
              .method(
                  method,
                  smoke.body() == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(smoke.body()));
      if (smoke.headers() != null) {
        smoke.headers().forEach(request::header);
      }
      HttpResponse<String> response = HttpExchange.send(request.build(), notes);
      int expected = smoke.expectStatus() == null ? 200 : smoke.expectStatus();
      if (response.statusCode() != expected) {
        return "answered " + response.statusCode() + " (expected " + expected + ")";
      }
      if (smoke.expectJson() != null && !smoke.expectJson().isEmpty()) {
        JsonNode body = JSON.readTree(response.body());
        for (Map.Entry<String, Object> e : smoke.expectJson().entrySet()) {
          JsonNode value = body.get(e.getKey());
          if (value == null || !value.asText().equals(String.valueOf(e.getValue()))) {
            return e.getKey() + " is " + value + ", expected " + e.getValue();
          }
        }
      }
      notes.add("answered " + response.statusCode());
      return null;
    } catch (IOException e) {
      return "failed: " + HttpExchange.describe(e);
    }
  }

  private static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
