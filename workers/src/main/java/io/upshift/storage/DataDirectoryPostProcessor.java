package io.upshift.storage;

import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Resolves {@code upshift.data-dir} to an absolute path once, at start-up: H2 refuses relative file
 * paths, and every capability that keeps files there should see the same directory whatever the
 * working directory of a later call.
 */
public class DataDirectoryPostProcessor implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    String configured = environment.getProperty("upshift.data-dir", "./data");
    String absolute = Path.of(configured).toAbsolutePath().normalize().toString();
    environment
        .getPropertySources()
        .addFirst(
            new MapPropertySource("upshiftDataDirectory", Map.of("upshift.data-dir", absolute)));
  }
}
