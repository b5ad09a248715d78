package io.upshift.support;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.DockerClients;
import io.upshift.migration.FlywayMigrator;
import io.upshift.platform.EnvFile;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.RefSpec;

/**
 * One deployment of the ledger platform, run by hand as deploy/ledger/README.md describes: a
 * checkout of a {@code v} tag with its own .env (a free API port), plain compose, Flyway for the
 * {@code ledger} database through the db container's address (no port is published), {@code
 * ledger-migrate upgrade} in a one-off container for the {@code files} database, the manager first.
 */
public final class LedgerDeployment implements AutoCloseable {

  public static final String READY_LINE = "database system is ready to accept connections";
  private static final Duration COMPOSE_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
  private static final String FILE = "docker-compose.yml";

  public final String project;
  public final Path directory;
  private final Path repository;
  private final ComposeCli compose = ComposeCli.detect();
  private final DockerClient docker = DockerClients.local();
  private final ComposeServices services = new ComposeServices(docker);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private EnvFile env;
  private boolean started;

  public LedgerDeployment(Path repository, String name, Path directory) {
    this.repository = repository;
    this.project = DemoPlatform.project("ledger" + name);
    this.directory = directory;
  }

  /** Checks out the tag of {@code version}; on first checkout writes .env with a free API port. */
  public LedgerDeployment checkout(String version) throws IOException {
    String tag = LedgerPlatform.tag(version);
    try {
      Git git;
      if (Files.isDirectory(directory.resolve(".git"))) {
        git = Git.open(directory.toFile());
      } else {
        Files.createDirectories(directory);
        git = Git.init().setDirectory(directory.toFile()).call();
      }
      try (git) {
        git.fetch()
            .setRemote(repository.toUri().toString())
            .setRefSpecs(new RefSpec("+refs/tags/*:refs/tags/*"))
            .call();
        ObjectId commit = git.getRepository().resolve("refs/tags/" + tag + "^{commit}");
        if (commit == null) {
          throw new IllegalArgumentException("no tag " + tag + " in " + repository);
        }
        git.checkout().setName(commit.name()).setForced(true).call();
      }
    } catch (GitAPIException e) {
      throw new IOException("Cannot check out " + tag + ": " + e.getMessage(), e);
    }
    Path envFile = directory.resolve(".env");
    if (!Files.exists(envFile)) {
      String text = Files.readString(directory.resolve(".env.example"));
      Files.writeString(
          envFile, text.replaceAll("(?m)^API_PORT=.*$", "API_PORT=" + FreePorts.next()));
    }
    env = EnvFile.read(envFile);
    return this;
  }

  public EnvFile env() {
    return env;
  }

  public String apiUrl() {
    return "http://127.0.0.1:" + env.require("API_PORT");
  }

  public String compose(String... args) {
    started = true;
    return compose.run(directory, project, FILE, COMPOSE_TIMEOUT, List.of(args)).output();
  }

  /**
   * What a person does for a fresh install: db, its log line, Flyway (ledger), ledger-migrate
   * (files), manager until healthy, then api (healthy) and worker (running).
   */
  public void install() throws Exception {
    compose("up", "-d", "db");
    awaitLog("db", READY_LINE, START_TIMEOUT);
    FlywayMigrator.migrate(
        new FlywayMigrator.Target(
            jdbcUrl("ledger"),
            "postgres",
            env.require("LEDGER_DB_PASSWORD"),
            directory.resolve("migrations/ledger"),
            "flyway_schema_history"));
    compose("run", "--rm", "--no-deps", "-T", "api", "ledger-migrate", "upgrade");
    compose("up", "-d", "--no-deps", "manager");
    Map<String, String> manager = services.awaitHealthy(project, List.of("manager"), START_TIMEOUT);
    if (!"healthy".equals(manager.get("manager"))) {
      throw new IllegalStateException("manager not healthy: " + manager + "\n" + logs("manager"));
    }
    compose("up", "-d");
    Map<String, String> rest =
        services.awaitHealthy(project, List.of("api", "worker"), START_TIMEOUT);
    if (!"healthy".equals(rest.get("api")) || !"running".equals(rest.get("worker"))) {
      throw new IllegalStateException("api/worker not started: " + rest + "\n" + logs("api"));
    }
  }

  public String logs(String service) throws InterruptedException {
    return services.logs(project, service, 40);
  }

  private void awaitLog(String service, String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!services.logs(project, service, 200).contains(line)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(service + " never logged '" + line + "'");
      }
      Thread.sleep(500);
    }
  }

  /** The database's JDBC URL through the db container's address on the platform's network. */
  public String jdbcUrl(String database) {
    List<Container> db =
        docker
            .listContainersCmd()
            .withLabelFilter(
                Map.of("com.docker.compose.project", project, "com.docker.compose.service", "db"))
            .exec();
    if (db.isEmpty()) {
      throw new IllegalStateException("the db service of " + project + " is not running");
    }
    String ip =
        docker
            .inspectContainerCmd(db.get(0).getId())
            .exec()
            .getNetworkSettings()
            .getNetworks()
            .values()
            .iterator()
            .next()
            .getIpAddress();
    return "jdbc:postgresql://" + ip + ":5432/" + database;
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        jdbcUrl(database), "postgres", env.require("LEDGER_DB_PASSWORD"));
  }

  /** The first column of every row of {@code sql} in {@code database}, as numbers. */
  public Set<Long> ids(String database, String sql) throws SQLException {
    Set<Long> ids = new TreeSet<>();
    try (Connection c = connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  /** Ids of the files in the uploads volume ({@code /data/uploads/<id>.json}), read in the api. */
  public Set<Long> uploads() {
    Set<Long> ids = new TreeSet<>();
    for (String line : compose("exec", "-T", "api", "ls", "/data/uploads").split("\\R")) {
      if (line.strip().matches("\\d+\\.json")) {
        ids.add(Long.parseLong(line.strip().replace(".json", "")));
      }
    }
    return ids;
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(apiUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Service names of the running deployment (compose ps --services). */
  public List<String> services() {
    List<String> names = new ArrayList<>();
    for (String line : compose("ps", "--services").split("\\R")) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    return names;
  }

  @Override
  public void close() {
    try {
      if (started) {
        compose("down", "-v", "--remove-orphans", "-t", "10");
      }
    } catch (RuntimeException e) {
      // Leftovers are removed by label at the next start (DemoPlatform.removeLeftovers).
    }
  }
}
