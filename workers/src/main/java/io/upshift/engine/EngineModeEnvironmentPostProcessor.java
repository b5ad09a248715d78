package io.upshift.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * In embedded mode, points the Camunda client at the in-process engine before any bean exists: gRPC
 * only (the embedded engine has no REST API) and job streaming on. A port of 0 is resolved to a
 * free port here, once, so the engine and the client agree on it. Remote mode leaves {@code
 * camunda.client.*} to the operator.
 */
public class EngineModeEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

  static final String SOURCE_NAME = "upshiftEmbeddedEngine";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    String mode = environment.getProperty("upshift.engine.mode", "embedded");
    if (!"embedded".equals(mode.toLowerCase(Locale.ROOT).trim())) {
      return;
    }
    int port = environment.getProperty("upshift.engine.port", Integer.class, 26500);
    if (port == 0) {
      port = freePort();
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("upshift.engine.port", port);
    props.put("camunda.client.mode", "self-managed");
    props.put("camunda.client.grpc-address", "http://127.0.0.1:" + port);
    // Never used (REST is off) but must parse; keep it away from the service's own port.
    props.put("camunda.client.rest-address", "http://127.0.0.1:1");
    props.put("camunda.client.prefer-rest-over-grpc", false);
    props.put("camunda.client.worker.defaults.stream-enabled", true);
    environment.getPropertySources().addFirst(new MapPropertySource(SOURCE_NAME, props));
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("Could not find a free port for the embedded engine", e);
    }
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
