package io.upshift.engine;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Engine wiring common to both modes. */
@Configuration(proxyBeanMethods = false)
class EngineConfiguration {

  /** Static: a BeanPostProcessor must not pull other beans into early creation. */
  @Bean
  static EngineConnectionCheck engineConnectionCheck(Environment environment) {
    return new EngineConnectionCheck(environment);
  }
}
