package io.upshift.support;

import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.DockerClients;
import io.upshift.migration.FlywayMigrator;
import io.upshift.platform.EnvFile;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One deployment of the demo platform, the way an operator runs it by hand: a checkout of a release
 * tag with its own .env (free ports), plain compose, Flyway for the schema.
 */
public final class Deployment implements AutoCloseable {

  private static final Duration COMPOSE_TIMEOUT = Duration.ofMinutes(5);

  public final String project;
  public final Path directory;
  private final ReleaseRepository repository;
  private final ComposeCli compose = ComposeCli.detect();
  private final ComposeServices services = new ComposeServices(DockerClients.local());
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private PlatformDescriptor descriptor;
  private EnvFile env;

  public Deployment(ReleaseRepository repository, String name, Path directory) {
    this.repository = repository;
    this.project = DemoPlatform.project(name);
    this.directory = directory;
  }

  /**
   * Registers this deployment with the service under test as platform {@code name}, its releases
   * coming from the bare repository {@code repository}.
   */
  public void register(
      org.springframework.test.context.DynamicPropertyRegistry registry,
      String name,
      Path repository) {
    String prefix = "upshift.platforms." + name + ".";
    registry.add(prefix + "repository", () -> repository.toUri().toString());
    registry.add(prefix + "working-directory", directory::toString);
    registry.add(prefix + "compose-project", () -> project);
  }

  /** Checks out the release; on first checkout writes .env from .env.example with free ports. */
  public Deployment checkout(String version) throws IOException {
    Release release =
        repository.releases().stream()
            .filter(r -> r.tag().equals(version))
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no release " + version));
    repository.checkout(release, directory);
    descriptor = repository.descriptor(release);
    Path envFile = directory.resolve(".env");
    if (!Files.exists(envFile)) {
      String text = Files.readString(directory.resolve(".env.example"));
      text = text.replaceAll("(?m)^DB_PORT=.*$", "DB_PORT=" + FreePorts.next());
      text = text.replaceAll("(?m)^BACKEND_PORT=.*$", "BACKEND_PORT=" + FreePorts.next());
      Files.writeString(envFile, text);
    }
    env = EnvFile.read(envFile);
    return this;
  }

  public PlatformDescriptor descriptor() {
    return descriptor;
  }

  public EnvFile env() {
    return env;
  }

  /** Replaces the .env (e.g. after adding the variables a new release requires). */
  public void writeEnv(Map<String, String> values) throws IOException {
    StringBuilder text = new StringBuilder();
    values.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Files.writeString(directory.resolve(".env"), text);
    env = EnvFile.read(directory.resolve(".env"));
  }

  public String compose(String... args) {
    return compose
        .run(directory, project, descriptor.compose().file(), COMPOSE_TIMEOUT, List.of(args))
        .output();
  }

  public Map<String, String> awaitHealthy(List<String> names, Duration timeout)
      throws InterruptedException {
    return services.awaitHealthy(project, names, timeout);
  }

  public List<String> allServices() {
    return descriptor.services().stream().map(PlatformDescriptor.Service::name).toList();
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:"
        + env.require(descriptor.database().variables().port())
        + "/"
        + env.require(descriptor.database().variables().name());
  }

  public Connection connect() throws SQLException {
    var vars = descriptor.database().variables();
    return DriverManager.getConnection(
        jdbcUrl(), env.require(vars.user()), env.require(vars.password()));
  }

  public FlywayMigrator.Outcome migrate() {
    var vars = descriptor.database().variables();
    return FlywayMigrator.migrate(
        new FlywayMigrator.Target(
            jdbcUrl(),
            env.require(vars.user()),
            env.require(vars.password()),
            directory.resolve(descriptor.database().migrations().location()),
            descriptor.database().migrations().historyTable()));
  }

  /** Database up and healthy, migrations applied, then every service; returns the health states. */
  public Map<String, String> bringUp() throws InterruptedException {
    compose("up", "-d", descriptor.database().service());
    Map<String, String> db =
        awaitHealthy(List.of(descriptor.database().service()), Duration.ofMinutes(2));
    if (!"healthy".equals(db.get(descriptor.database().service()))) {
      throw new IllegalStateException("database not healthy: " + db);
    }
    migrate();
    compose("up", "-d");
    return awaitHealthy(allServices(), Duration.ofMinutes(2));
  }

  /** Status code of every smoke test and health check, by name. */
  public Map<String, Integer> callChecks() throws IOException, InterruptedException {
    Map<String, Integer> statuses = new LinkedHashMap<>();
    for (var check : descriptor.healthChecks()) {
      statuses.put(
          check.name(), send("GET", env.substitute(check.url()), Map.of(), null).statusCode());
    }
    for (var smoke : descriptor.smokeTests()) {
      statuses.put(
          smoke.name(),
          send(smoke.method(), env.substitute(smoke.url()), smoke.headers(), smoke.body())
              .statusCode());
    }
    return statuses;
  }

  /** Expected status of every check, by name, as the descriptor states them. */
  public Map<String, Integer> expectedStatuses() {
    Map<String, Integer> expected = new LinkedHashMap<>();
    descriptor.healthChecks().forEach(c -> expected.put(c.name(), c.expectStatus()));
    descriptor.smokeTests().forEach(s -> expected.put(s.name(), s.expectStatus()));
    return expected;
  }

  public HttpResponse<String> send(
      String method, String url, Map<String, String> headers, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (headers != null) {
      headers.forEach(request::header);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Invariants that returned rows (should be none). */
  public Map<String, Integer> violatedInvariants() throws SQLException {
    Map<String, Integer> violated = new LinkedHashMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (var invariant : descriptor.dataInvariants()) {
        int rows = 0;
        try (ResultSet rs = s.executeQuery(invariant.sql())) {
          while (rs.next()) {
            rows++;
          }
        }
        if (rows > 0) {
          violated.put(invariant.name(), rows);
        }
      }
    }
    return violated;
  }

  public Map<String, Long> rowCounts() throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String table : descriptor.protectedTables()) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + quote(table))) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
    }
    return counts;
  }

  private static String quote(String identifier) {
    if (!identifier.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("not a plain table name: " + identifier);
    }
    return "\"" + identifier + "\"";
  }

  @Override
  public void close() {
    try {
      if (descriptor != null) {
        compose("down", "-v", "--remove-orphans");
      }
    } catch (RuntimeException e) {
      // Leftovers are removed by label at the next start (DemoPlatform.removeLeftovers).
    }
  }
}
