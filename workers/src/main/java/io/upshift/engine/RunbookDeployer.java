package io.upshift.engine;

import io.upshift.metrics.UpshiftMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * At start-up (the engine already answered, see {@link EngineConnectionCheck}): deploys every
 * runbook (BPMN models and forms under {@code bpmn/} on the classpath, i.e. the bpmn module) in one
 * deployment, logs what the engine made of them, and registers their run counters. Redeploying
 * unchanged models keeps their version, so restarts are cheap.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RunbookDeployer implements ApplicationRunner {

  static final String RESOURCE_PATTERN = "classpath*:bpmn/**/*.{bpmn,form}";
  private static final Logger log = LoggerFactory.getLogger(RunbookDeployer.class);

  private final EngineCommands engine;
  private final DeployedRunbooks runbooks;
  private final UpshiftMetrics metrics;
  private final Duration connectTimeout;

  RunbookDeployer(
      EngineCommands engine,
      DeployedRunbooks runbooks,
      UpshiftMetrics metrics,
      EngineProperties properties) {
    this.engine = engine;
    this.connectTimeout = properties.connectTimeout();
    this.runbooks = runbooks;
    this.metrics = metrics;
  }

  @Override
  public void run(ApplicationArguments args) throws IOException {
    deploy();
  }

  /**
   * A cluster that is busy or still coming up may not answer the first deployment within the
   * client's request timeout: try again while it is unavailable, for at most {@code
   * upshift.engine.connect-timeout}.
   */
  private List<EngineCommands.DeployedProcess> deployWithin(Map<String, byte[]> contents) {
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    while (true) {
      try {
        return engine.deploy(contents);
      } catch (EngineCommandException e) {
        if (e.outcome() != EngineCommandException.Outcome.UNAVAILABLE
            || System.nanoTime() > deadline) {
          throw e;
        }
        log.warn("Deploying the runbooks: {}; trying again", e.getMessage());
        try {
          Thread.sleep(1000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void deploy() throws IOException {
    Resource[] resources = new PathMatchingResourcePatternResolver().getResources(RESOURCE_PATTERN);
    if (resources.length == 0) {
      throw new IllegalStateException(
          "No runbooks found on the classpath ("
              + RESOURCE_PATTERN
              + "): the bpmn module is missing");
    }
    List<Resource> sorted = new ArrayList<>(List.of(resources));
    sorted.sort(Comparator.comparing(Resource::getFilename));
    Map<String, byte[]> contents = new LinkedHashMap<>();
    for (Resource resource : sorted) {
      try (InputStream in = resource.getInputStream()) {
        contents.put(resource.getFilename(), in.readAllBytes());
      }
    }
    Map<String, Integer> versions = new LinkedHashMap<>();
    for (EngineCommands.DeployedProcess process : deployWithin(contents)) {
      versions.put(process.processId(), process.version());
      log.info(
          "Runbook {} version {} deployed from {} (definition key {})",
          process.processId(),
          process.version(),
          process.resourceName(),
          process.processDefinitionKey());
    }
    runbooks.replace(versions);
    metrics.runbooksDeployed(versions.keySet());
  }
}
