package io.upshift.platform;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Where Upshift connects to a platform's database. Version 1 databases are published on the host;
 * version 2 databases are reached at their container's address on the platform's network, which the
 * host can route to, so no port needs to be published. Credentials are read from the .env here,
 * when the connection is opened, and go no further.
 */
public final class DatabaseEndpoints {

  /** A resolved connection: the JDBC URL plus what libpq tools need inside the container. */
  public record Endpoint(
      String databaseId,
      String jdbcUrl,
      String host,
      int port,
      String name,
      String user,
      String password) {

    @Override
    public String toString() {
      return "Endpoint[" + databaseId + " " + jdbcUrl + " as " + user + "]"; // no password
    }
  }

  private DatabaseEndpoints() {}

  public static Endpoint resolve(
      InstalledPlatform platform, PlatformDescriptor.Database db, DockerClient docker) {
    EnvFile env = platform.env();
    String name = db.resolveName(env);
    String user = db.resolveUser(env);
    String password = db.resolvePassword(env);
    int port = db.resolvePort(env);
    String host =
        db.publishedOnHost()
            ? (db.host() == null ? "127.0.0.1" : db.host())
            : containerAddress(docker, platform.registration().composeProject(), db.service());
    return new Endpoint(
        db.id(),
        "jdbc:postgresql://" + host + ":" + port + "/" + name,
        host,
        port,
        name,
        user,
        password);
  }

  /** The IP address of a running service's container on its (first, by name) network. */
  public static String containerAddress(DockerClient docker, String project, String service) {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    if (containers.isEmpty()) {
      throw new IllegalStateException(
          "The service '"
              + service
              + "' of compose project '"
              + project
              + "' is not running;"
              + " its database is reached through its container. Start it (compose up -d "
              + service
              + ") and retry.");
    }
    var networks =
        docker
            .inspectContainerCmd(containers.get(0).getId())
            .exec()
            .getNetworkSettings()
            .getNetworks();
    return networks.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(Comparator.naturalOrder()))
        .map(Map.Entry::getValue)
        .map(ContainerNetwork::getIpAddress)
        .filter(ip -> ip != null && !ip.isBlank())
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "The container of service '" + service + "' has no network address"));
  }
}
