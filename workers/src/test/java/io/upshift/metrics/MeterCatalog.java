package io.upshift.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Every meter {@link UpshiftMetrics} can register, as Prometheus exposes it: each public recording
 * method is called once (found by reflection, so a new one is included without editing this class)
 * on a Prometheus registry, which is then scraped. The catalog is derived from the code; nothing
 * here lists meter names.
 */
final class MeterCatalog {

  static final String SAMPLE = "sample";

  private MeterCatalog() {}

  /** The scrape of a registry on which every meter of {@link UpshiftMetrics} was recorded. */
  static PrometheusScrape scrape() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    UpshiftMetrics metrics =
        new UpshiftMetrics(registry, MeterCatalog::backlog, () -> ApprovalBacklog.NONE);
    for (Method method : UpshiftMetrics.class.getDeclaredMethods()) {
      if (!Modifier.isPublic(method.getModifiers()) || Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      Object[] args = new Object[method.getParameterCount()];
      for (int i = 0; i < args.length; i++) {
        args[i] = sample(method.getParameterTypes()[i], method);
      }
      try {
        method.invoke(metrics, args);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("Could not call " + method, e);
      }
    }
    return PrometheusScrape.parse(registry.scrape());
  }

  /** Family names of Upshift's meters (as in {@code # TYPE} lines), without the timers' _max. */
  static Set<String> upshiftFamilies() {
    return Set.copyOf(
        scrape().names().stream()
            .filter(n -> n.startsWith("upshift_") && !n.endsWith("_max"))
            .map(n -> n.replaceAll("_(bucket|count|sum)$", ""))
            .toList());
  }

  private static RunBacklog backlog() {
    return new RunBacklog() {
      @Override
      public long activeRuns() {
        return 1;
      }

      @Override
      public long runsWithOpenIncident() {
        return 1;
      }
    };
  }

  private static Object sample(Class<?> type, Method method) {
    if (type == String.class) {
      return SAMPLE;
    } else if (type == Duration.class) {
      return Duration.ofSeconds(1);
    } else if (type == long.class || type == Long.class) {
      return 1L;
    } else if (type == int.class || type == Integer.class) {
      return 1;
    } else if (type == boolean.class || type == Boolean.class) {
      return true;
    } else if (Collection.class.isAssignableFrom(type)) {
      return List.of(SAMPLE);
    } else if (type.isEnum()) {
      return type.getEnumConstants()[0];
    }
    throw new IllegalStateException(
        "MeterCatalog has no sample value of " + type + " for " + method + ": add one here");
  }
}
