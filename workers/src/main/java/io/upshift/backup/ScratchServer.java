package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Network;
import io.upshift.migration.ComposeServiceSpec;
import io.upshift.platform.PlatformConnections;
import io.upshift.run.StepFailure;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scratch database server for the rehearsal, built from the platform's own database service
 * definition: its image, its entrypoint and command, its environment (compose file + .env), so its
 * own init conventions run, whatever they are. Nothing is assumed about them: readiness is {@code
 * pg_isready} over TCP inside the container (or a TCP connect from here when the image has no
 * {@code pg_isready}) followed by a login, and the databases to restore into are created here with
 * {@code createdb} (dropped first if the image's conventions made them). The server's data is not
 * mounted from the platform; it lives in the container and goes with it. It runs on a scratch
 * network of its own, under the database service's name, so the platform's own migration tool finds
 * it at the address the compose file gives, and cannot reach the live platform.
 */
final class ScratchServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ScratchServer.class);
  static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

  private final DockerClient docker;
  final String network;
  final String container;
  final String alias;
  final int port;
  private final String user;
  private final String password;
  private String address;

  private ScratchServer(
      DockerClient docker,
      String network,
      String container,
      String alias,
      int port,
      String user,
      String password) {
    this.docker = docker;
    this.network = network;
    this.container = container;
    this.alias = alias;
    this.port = port;
    this.user = user;
    this.password = password;
  }

  /** The scratch network of a run, created if missing (one per run, shared by its servers). */
  static String network(DockerClient docker, String runId, String label) {
    String name = "upshift-rehearsal-" + runId;
    List<Network> existing = docker.listNetworksCmd().withNameFilter(name).exec();
    for (Network n : existing) {
      if (n.getName().equals(name)) {
        return name;
      }
    }
    try {
      docker
          .createNetworkCmd()
          .withName(name)
          .withDriver("bridge")
          .withLabels(Map.of(label, runId))
          .exec();
    } catch (RuntimeException e) {
      if (e.getMessage() == null || !e.getMessage().contains("address pool")) {
        throw e;
      }
      // Not a subnet of Upshift's choosing: on the operator's host it could shadow a real network.
      throw new StepFailure(
          "Docker has no free address pool for the rehearsal's network "
              + name
              + ": every bridge network takes one (about 30 by default). Remove networks nothing"
              + " uses (docker network prune) or give Docker more (default-address-pools in"
              + " daemon.json), then retry",
          e);
    }
    return name;
  }

  /**
   * Starts a server from the service definition.
   *
   * @param image the image to run (the running database container's, so the very same build)
   * @param port the port the server listens on inside its container
   */
  static ScratchServer start(
      DockerClient docker,
      ComposeServiceSpec service,
      String image,
      String network,
      String name,
      Map<String, String> labels,
      int port,
      String user,
      String password) {
    CreateContainerCmd create =
        docker
            .createContainerCmd(image)
            .withName(name)
            .withLabels(labels)
            .withEnv(service.environmentEntries())
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode(network))
            .withAliases(service.service());
    if (service.entrypoint() != null) {
      create.withEntrypoint(service.entrypoint().isEmpty() ? List.of("") : service.entrypoint());
    }
    if (service.command() != null) {
      create.withCmd(service.command());
    }
    String id = create.exec().getId();
    ScratchServer server =
        new ScratchServer(docker, network, id, service.service(), port, user, password);
    try {
      docker.startContainerCmd(id).exec();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** The server's address on the scratch network, reachable from this host. */
  String address() {
    if (address == null) {
      ContainerNetwork n =
          docker
              .inspectContainerCmd(container)
              .exec()
              .getNetworkSettings()
              .getNetworks()
              .get(network);
      if (n == null || n.getIpAddress() == null || n.getIpAddress().isBlank()) {
        throw new IllegalStateException("The scratch server has no address on " + network);
      }
      address = n.getIpAddress();
    }
    return address;
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://" + address() + ":" + port + "/" + database;
  }

  /**
   * Waits until the real server accepts logins over TCP: a TCP connect to its address on the
   * scratch network, then a login to the {@code postgres} (or {@code template1}) maintenance
   * database. The temporary server an init script runs listens on no TCP port, so this is the real
   * server, whatever the image's init conventions are; nothing waits for a database created by
   * environment variables. {@code pg_isready} inside the container is asked only for the message
   * when the server never comes up. Fails naming the last reason and the container's log tail.
   */
  void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "not started";
    int polls = 0;
    while (System.nanoTime() < deadline) {
      if (polls++ % 10 == 0 && !running()) {
        throw new IllegalStateException(
            "The scratch database server exited while starting: " + logTail());
      }
      if (tcpOpen()) {
        for (String maintenance : List.of("postgres", "template1")) {
          try (Connection c =
              PlatformConnections.open(
                  jdbcUrl(maintenance), user, password, Duration.ofSeconds(5))) {
            return;
          } catch (SQLException e) {
            last = "login to " + maintenance + ": " + e.getMessage();
          }
        }
      } else {
        last = "port " + port + " not open";
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "The scratch database server did not accept logins within "
            + READY_TIMEOUT.toSeconds()
            + " s ("
            + last
            + "; pg_isready: "
            + pgIsReady()
            + "); its log: "
            + logTail());
  }

  private String pgIsReady() throws InterruptedException {
    try {
      ContainerExec.Result r =
          ContainerExec.run(
              docker,
              container,
              List.of("pg_isready", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user),
              new ByteArrayOutputStream(),
              1);
      return "exit " + r.exitCode() + (r.stderr().isEmpty() ? "" : " " + r.stderr());
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  /** Whether the database exists and holds anything beyond the system schemas. */
  private boolean existsWithContent(String database) {
    try (Connection c =
            PlatformConnections.open(jdbcUrl("postgres"), user, password, Duration.ofSeconds(30));
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (var rs = ps.executeQuery()) {
        if (!rs.next()) {
          return false;
        }
      }
    } catch (SQLException e) {
      return true; // cannot tell: drop it to be sure
    }
    try (Connection c =
            PlatformConnections.open(jdbcUrl(database), user, password, Duration.ofSeconds(30));
        var rs =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                        + " AND n.nspname NOT LIKE 'pg_toast%'")) {
      rs.next();
      return rs.getLong(1) > 0;
    } catch (SQLException e) {
      return true;
    }
  }

  /** Whether the database exists (empty, as the image's init conventions made it). */
  private boolean exists(String database) {
    try (Connection c =
            PlatformConnections.open(jdbcUrl("postgres"), user, password, Duration.ofSeconds(30));
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (var rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Creates an empty database with {@code createdb} inside the container. One the image's init
   * conventions made is used when empty and dropped first when not (an init script may have filled
   * it).
   */
  void createDatabase(String name) throws InterruptedException {
    List<String> env = password == null ? List.of() : List.of("PGPASSWORD=" + password);
    List<String> connection = List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user);
    if (existsWithContent(name)) {
      List<String> drop = new ArrayList<>(List.of("dropdb", "--if-exists"));
      drop.addAll(connection);
      drop.add(name);
      ContainerExec.Result dropped =
          ContainerExec.run(docker, container, drop, env, new ByteArrayOutputStream(), 2);
      if (dropped.exitCode() != 0) {
        throw new IllegalStateException(
            "dropdb " + name + " on the scratch server failed: " + dropped.stderr());
      }
    } else if (exists(name)) {
      return; // empty, made by the image's own conventions: restore into it
    }
    List<String> create = new ArrayList<>(List.of("createdb"));
    create.addAll(connection);
    create.add(name);
    ContainerExec.Result created =
        ContainerExec.run(docker, container, create, env, new ByteArrayOutputStream(), 2);
    if (created.exitCode() != 0) {
      throw new IllegalStateException(
          "createdb " + name + " on the scratch server failed: " + created.stderr());
    }
  }

  /** Restores a custom-format dump into {@code database}; returns pg_restore's exit and stderr. */
  ContainerExec.Result restore(Path dump, String database, long timeoutMinutes)
      throws InterruptedException {
    docker
        .copyArchiveToContainerCmd(container)
        .withHostResource(dump.toString())
        .withRemotePath("/tmp")
        .exec();
    return ContainerExec.run(
        docker,
        container,
        List.of(
            "pg_restore",
            "--exit-on-error",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(port),
            "-U",
            user,
            "-d",
            database,
            "/tmp/" + dump.getFileName()),
        password == null ? List.of() : List.of("PGPASSWORD=" + password),
        new ByteArrayOutputStream(),
        timeoutMinutes);
  }

  private boolean running() {
    try {
      return Boolean.TRUE.equals(
          docker.inspectContainerCmd(container).exec().getState().getRunning());
    } catch (NotFoundException e) {
      return false;
    }
  }

  private boolean tcpOpen() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address(), port), 2000);
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  private String logTail() throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      docker
          .logContainerCmd(container)
          .withStdOut(true)
          .withStdErr(true)
          .withTail(20)
          .exec(
              new com.github.dockerjava.api.async.ResultCallback.Adapter<
                  com.github.dockerjava.api.model.Frame>() {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame frame) {
                  out.writeBytes(frame.getPayload());
                }
              })
          .awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      return "(no log: " + e.getMessage() + ")";
    }
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
    return text.isEmpty() ? "(empty)" : text.replaceAll("\\s*\\R\\s*", " | ");
  }

  /**
   * Removes the container and its anonymous volumes. The network is removed by {@link #removeAll}.
   */
  @Override
  public void close() {
    try {
      docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException e) {
      // gone already
    } catch (RuntimeException e) {
      log.warn("Cannot remove scratch container {}: {}", container, e.getMessage());
    }
  }

  /**
   * Removes every scratch container, one-off container and the network a run's rehearsal left
   * (labelled with the run id), e.g. after a crash or a cancel.
   */
  static void removeAll(DockerClient docker, String runId, List<String> labels) {
    for (String label : labels) {
      for (Container c :
          docker
              .listContainersCmd()
              .withShowAll(true)
              .withLabelFilter(Map.of(label, runId))
              .exec()) {
        try {
          docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
          // gone already
        }
      }
    }
    String name = "upshift-rehearsal-" + runId;
    for (Network n : docker.listNetworksCmd().withNameFilter(name).exec()) {
      if (n.getName().equals(name)) {
        try {
          docker.removeNetworkCmd(n.getId()).exec();
        } catch (NotFoundException e) {
          // gone already
        } catch (RuntimeException e) {
          log.warn("Cannot remove scratch network {}: {}", name, e.getMessage());
        }
      }
    }
  }
}
