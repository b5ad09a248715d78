package io.upshift;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Upshift service: job workers, run API, embedded engine and metrics in one process. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class UpshiftApplication {

  public static void main(String[] args) {
    SpringApplication.run(UpshiftApplication.class, args);
  }
}
