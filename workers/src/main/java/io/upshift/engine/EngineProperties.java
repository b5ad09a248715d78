package io.upshift.engine;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which Zeebe engine Upshift talks to.
 *
 * @param mode {@code embedded}: an in-process engine (state in memory only); {@code remote}: a
 *     Camunda 8 cluster configured through the standard {@code camunda.client.*} properties
 * @param port gRPC port of the embedded engine; 0 picks a free port
 * @param connectTimeout how long start-up waits for the engine to answer before giving up
 */
@ConfigurationProperties("upshift.engine")
public record EngineProperties(
    @DefaultValue("embedded") Mode mode,
    @DefaultValue("26500") int port,
    @DefaultValue("30s") Duration connectTimeout) {

  public enum Mode {
    EMBEDDED,
    REMOTE
  }
}
