package io.upshift;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Upshift service: job workers, run API, embedded engine and metrics in one process. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class UpshiftApplication {

  public static void main(String[] args) {
    try {
      SpringApplication.run(UpshiftApplication.class, args);
    } catch (RuntimeException e) {
      // Spring has logged why. The embedded engine's actor threads are not daemons, so without an
      // exit the process would stay alive serving nothing, which a supervisor takes for a slow
      // start instead of a failed one.
      System.exit(1);
    }
  }
}
