package io.upshift.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server for Upshift's own database, as in production (deploy/production): the demo's
 * locally built PostgreSQL image in a container named like the test's compose projects, so {@link
 * DemoPlatform#removeLeftovers()} removes it when a crashed JVM left it behind.
 */
public final class UpshiftDatabase implements AutoCloseable {

  public static final String IMAGE = "localhost:5000/upshift-demo/postgres:15";
  public static final String USER = "upshift";
  public static final String PASSWORD = "upshift-it";
  public static final String DATABASE = "upshift";

  private final String name;
  private final int port;

  private UpshiftDatabase(String name, int port) {
    this.name = name;
    this.port = port;
  }

  public static UpshiftDatabase start(String suffix) throws Exception {
    String name = DemoPlatform.project(suffix);
    docker("rm", "-f", "-v", name);
    docker(
        "run",
        "-d",
        "--name",
        name,
        "--label",
        "com.docker.compose.project=" + name,
        "-e",
        "POSTGRES_USER=" + USER,
        "-e",
        "POSTGRES_PASSWORD=" + PASSWORD,
        "-e",
        "POSTGRES_DB=" + DATABASE,
        "-p",
        "127.0.0.1::5432",
        IMAGE);
    String mapping = docker("port", name, "5432/tcp").lines().findFirst().orElseThrow().strip();
    UpshiftDatabase db =
        new UpshiftDatabase(
            name, Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1)));
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    SQLException last = null;
    while (Instant.now().isBefore(deadline)) {
      try (Connection c = db.connect()) {
        return db;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(500);
      }
    }
    db.close();
    throw new IllegalStateException("Upshift's PostgreSQL did not accept connections", last);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** The {@code spring.datasource.*} properties for this database. */
  public Map<String, String> properties() {
    return Map.of(
        "spring.datasource.url", jdbcUrl(),
        "spring.datasource.username", USER,
        "spring.datasource.password", PASSWORD);
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  public long count(String sql, Object... params) throws SQLException {
    try (Connection c = connect();
        var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void close() throws Exception {
    docker("rm", "-f", "-v", name);
  }

  private static String docker(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " did not finish within 2 min");
    }
    if (p.exitValue() != 0 && !(args[0].equals("rm"))) {
      throw new IllegalStateException(command + " failed: " + out);
    }
    return out;
  }
}
