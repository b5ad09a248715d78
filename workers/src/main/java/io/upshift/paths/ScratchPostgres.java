package io.upshift.paths;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import io.upshift.backup.ContainerExec;
import io.upshift.compose.DockerClients;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * One throw-away PostgreSQL server (a container of the platform's own database image) per
 * verification, holding a database per path prefix: {@code CREATE DATABASE x TEMPLATE y} is the
 * cheap snapshot that lets paths share the hops they have in common. Labelled {@value #LABEL} and
 * removed on close.
 */
final class ScratchPostgres implements AutoCloseable {

  static final String LABEL = "io.upshift.paths.verification";

  /** The process that started the container: leftovers are those whose process is gone. */
  static final String OWNER = "io.upshift.paths.owner";

  static final String USER = "upshift";

  private final DockerClient docker;
  private final String container;
  private final String password;
  private final int port;
  private final Thread onExit;

  private ScratchPostgres(DockerClient docker, String container, String password, int port) {
    this.docker = docker;
    this.container = container;
    this.password = password;
    this.port = port;
    // Ctrl-C or a killed CI job: the JVM's shutdown still removes the container.
    this.onExit =
        new Thread(
            () -> {
              try {
                docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
              } catch (RuntimeException e) {
                // already gone
              }
            });
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  static ScratchPostgres start(String image, String verification) {
    DockerClient docker = DockerClients.local();
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    ExposedPort postgres = ExposedPort.tcp(5432);
    Ports ports = new Ports();
    ports.bind(postgres, Ports.Binding.bindIp("127.0.0.1"));
    String id;
    try {
      id =
          docker
              .createContainerCmd(image)
              .withName("upshift-paths-" + verification)
              .withLabels(
                  Map.of(LABEL, verification, OWNER, Long.toString(ProcessHandle.current().pid())))
              .withEnv(
                  "POSTGRES_USER=" + USER, "POSTGRES_PASSWORD=" + password, "POSTGRES_DB=" + USER)
              // A throw-away server: durability buys nothing here, and CREATE DATABASE and every
              // migration would wait for fsync (postgres options, as the official image takes).
              .withCmd(
                  "postgres",
                  "-c",
                  "fsync=off",
                  "-c",
                  "synchronous_commit=off",
                  "-c",
                  "full_page_writes=off")
              .withExposedPorts(postgres)
              .withHostConfig(HostConfig.newHostConfig().withPortBindings(ports))
              .exec()
              .getId();
    } catch (NotFoundException e) {
      closeQuietly(docker);
      throw new IllegalArgumentException(
          "The PostgreSQL image "
              + image
              + " is not on this Docker engine; build or pull it first, or name another with --image",
          e);
    }
    ScratchPostgres server = null;
    try {
      docker.startContainerCmd(id).exec();
      Ports.Binding[] bindings =
          docker
              .inspectContainerCmd(id)
              .exec()
              .getNetworkSettings()
              .getPorts()
              .getBindings()
              .get(postgres);
      server =
          new ScratchPostgres(
              docker, id, password, Integer.parseInt(bindings[0].getHostPortSpec()));
      server.awaitReady();
      return server;
    } catch (RuntimeException | InterruptedException e) {
      if (server != null) {
        server.close();
      } else {
        docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        closeQuietly(docker);
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("The scratch PostgreSQL did not start: " + e.getMessage(), e);
    }
  }

  /**
   * Removes containers of verifications whose process is gone (a killed JVM); those of running
   * verifications (another test run, a benchmark) stay.
   */
  static int removeLeftovers() {
    try (DockerClient docker = DockerClients.local()) {
      int removed = 0;
      for (Container c :
          docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(LABEL)).exec()) {
        String owner = c.getLabels() == null ? null : c.getLabels().get(OWNER);
        boolean alive =
            owner != null
                && owner.matches("\\d{1,10}")
                && ProcessHandle.of(Long.parseLong(owner))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        if (!alive) {
          try {
            docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            removed++;
          } catch (com.github.dockerjava.api.exception.NotFoundException
              | com.github.dockerjava.api.exception.ConflictException e) {
            // Another process's sweep removed it first (or is removing it now).
          }
        }
      }
      return removed;
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  String user() {
    return USER;
  }

  String password() {
    return password;
  }

  Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(url(database), USER, password);
  }

  /** An empty database, or a copy of {@code template} when given. */
  void create(String database, String template) throws SQLException {
    try (Connection c = connect(USER);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE DATABASE "
              + database
              + " TEMPLATE "
              + (template == null ? "template0" : template));
    }
  }

  void drop(String database) throws SQLException {
    try (Connection c = connect(USER);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  /** {@code pg_dump --schema-only} of a database, run inside the container. */
  String schema(String database, String historyTable) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ContainerExec.Result result =
        ContainerExec.run(
            docker,
            container,
            List.of(
                "pg_dump",
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--exclude-table=" + historyTable,
                "-U",
                USER,
                "-d",
                database),
            out,
            5);
    if (result.exitCode() != 0) {
      throw new IllegalStateException("pg_dump of " + database + " failed: " + result.stderr());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      try (Connection c = connect(USER);
          Statement s = c.createStatement()) {
        s.execute("SELECT 1");
        return;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(250);
      }
    }
    throw new IllegalStateException(
        "no connection within 2 min: " + (last == null ? "" : last.getMessage()), last);
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      // shutting down: the hook removes the container
    }
    try {
      docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException e) {
      // already gone
    } finally {
      closeQuietly(docker);
    }
  }

  private static void closeQuietly(DockerClient docker) {
    try {
      docker.close();
    } catch (java.io.IOException e) {
      // nothing left to do
    }
  }
}
