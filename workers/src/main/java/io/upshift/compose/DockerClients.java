package io.upshift.compose;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.time.Duration;

/**
 * docker-java clients for the local engine ({@code DOCKER_HOST} or the default socket). The zerodep
 * transport bundles its own HTTP client: the httpclient5 version Spring Boot manages breaks
 * docker-java's unix-socket connections.
 */
public final class DockerClients {

  static final String DEFAULT_HOST = "unix:///var/run/docker.sock";

  private DockerClients() {}

  /**
   * A client for the local engine, speaking the engine's own API version (capped at what
   * docker-java knows): old engines (Debian's 20.10 speaks 1.41) refuse newer clients, and new
   * engines refuse very old versions, so the version is asked for, not pinned.
   */
  public static DockerClient local() {
    String host = System.getenv("DOCKER_HOST");
    String dockerHost = host == null || host.isBlank() ? DEFAULT_HOST : host;
    RemoteApiVersion version;
    try (DockerClient probe = client(dockerHost, RemoteApiVersion.UNKNOWN_VERSION)) {
      version = RemoteApiVersion.parseConfig(probe.versionCmd().exec().getApiVersion());
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException(
          "The Docker engine at " + dockerHost + " does not answer: " + e.getMessage(), e);
    }
    return client(dockerHost, version);
  }

  private static DockerClient client(String dockerHost, RemoteApiVersion version) {
    DefaultDockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder()
            .withDockerHost(dockerHost)
            .withApiVersion(version)
            .build();
    ZerodepDockerHttpClient http =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .connectionTimeout(Duration.ofSeconds(10))
            .responseTimeout(Duration.ofMinutes(10))
            .maxConnections(20)
            .build();
    return DockerClientImpl.getInstance(config, http);
  }
}
