package io.upshift.engine;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.env.Environment;

/**
 * Checks that the engine answers as soon as the Camunda client exists, before any job worker opens
 * a stream: failing later leaves workers retrying against a dead address, and closing them then can
 * block shutdown (seen with the 8.8 client's job streamer).
 */
class EngineConnectionCheck implements BeanPostProcessor {

  private static final Logger log = LoggerFactory.getLogger(EngineConnectionCheck.class);

  private final Environment environment;

  EngineConnectionCheck(Environment environment) {
    this.environment = environment;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof CamundaClient client) {
      check(client);
    }
    return bean;
  }

  private void check(CamundaClient client) {
    String mode = environment.getProperty("upshift.engine.mode", "embedded").toLowerCase();
    String address =
        environment.getProperty("camunda.client.grpc-address", "(camunda.client default)");
    java.time.Duration timeout =
        environment.getProperty(
            "upshift.engine.connect-timeout",
            java.time.Duration.class,
            java.time.Duration.ofSeconds(30));
    try {
      Topology topology = client.newTopologyRequest().requestTimeout(timeout).send().join();
      log.info(
          "Engine reachable ({} mode) at {}: {} broker(s), gateway {}",
          mode,
          address,
          topology.getBrokers().size(),
          topology.getGatewayVersion());
    } catch (RuntimeException e) {
      throw new EngineUnavailableException(
          "The Zeebe engine at "
              + address
              + " did not answer within "
              + timeout.toSeconds()
              + " s ("
              + mode
              + " mode): "
              + rootMessage(e),
          "remote".equals(mode)
              ? "Check camunda.client.grpc-address (and camunda.client.auth.* for a secured"
                  + " cluster), that the cluster is up and reachable from here, or run with"
                  + " upshift.engine.mode=embedded."
              : "The embedded engine did not come up; see the log above.",
          e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
