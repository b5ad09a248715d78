package io.upshift.engine;

import io.camunda.client.CamundaClient;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import io.camunda.zeebe.process.test.engine.EngineFactory;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The in-process Zeebe engine, started before the Camunda client is created. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(
    name = "upshift.engine.mode",
    havingValue = "embedded",
    matchIfMissing = true)
class EmbeddedEngineConfiguration {

  static final String ENGINE_BEAN = "upshiftEmbeddedEngine";
  private static final Logger log = LoggerFactory.getLogger(EmbeddedEngineConfiguration.class);

  @Bean(name = ENGINE_BEAN, destroyMethod = "stop")
  ZeebeTestEngine upshiftEmbeddedEngine(EngineProperties properties) {
    int port = properties.port();
    long started = System.nanoTime();
    ZeebeTestEngine engine = EngineFactory.create(port);
    try {
      startWithin(engine, properties.connectTimeout());
    } catch (RuntimeException e) {
      if (hasCause(e, BindException.class)) {
        throw new EngineUnavailableException(
            "The embedded engine cannot listen on port " + port + ": the port is already in use.",
            "Stop the process that uses port "
                + port
                + " or set upshift.engine.port to a free port (0 picks one).",
            e);
      }
      throw new EngineUnavailableException(
          "The embedded engine failed to start on port " + port + ": " + e.getMessage(),
          "Check the log above for the cause; the embedded engine needs JDK 21+.",
          e);
    }
    log.info(
        "Embedded Zeebe engine listening on {} (started in {} ms, state in memory only)",
        engine.getGatewayAddress(),
        (System.nanoTime() - started) / 1_000_000);
    return engine;
  }

  /** The client connects lazily, but make the order explicit: engine first, then client. */
  @Bean
  static BeanFactoryPostProcessor camundaClientDependsOnEmbeddedEngine() {
    return beanFactory -> {
      for (String name : beanFactory.getBeanNamesForType(CamundaClient.class, true, false)) {
        BeanDefinition definition = beanFactory.getBeanDefinition(name);
        String[] dependsOn = definition.getDependsOn();
        String[] merged =
            dependsOn == null
                ? new String[1]
                : java.util.Arrays.copyOf(dependsOn, dependsOn.length + 1);
        merged[merged.length - 1] = ENGINE_BEAN;
        definition.setDependsOn(merged);
      }
    };
  }

  /**
   * The engine's start() waits forever when an actor fails while starting (seen with a missing
   * class on the classpath); bound it so a broken engine fails start-up instead of hanging it.
   */
  private static void startWithin(ZeebeTestEngine engine, Duration limit) {
    CompletableFuture<Void> started = new CompletableFuture<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                engine.start();
                started.complete(null);
              } catch (Throwable e) {
                started.completeExceptionally(e);
              }
            },
            "upshift-engine-start");
    starter.setDaemon(true);
    starter.start();
    try {
      started.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("it did not start within " + limit.toSeconds() + " s", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    }
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
