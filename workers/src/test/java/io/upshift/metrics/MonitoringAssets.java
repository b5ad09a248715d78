package io.upshift.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The files in deploy/monitoring, read as data: PromQL of the dashboard and the alert rules. */
final class MonitoringAssets {

  static final Path DIR = Path.of("../deploy/monitoring");
  static final Path PROMETHEUS_CONFIG = DIR.resolve("prometheus.yml");
  static final Path ALERT_RULES = DIR.resolve("alert-rules.yml");
  static final Path ALERT_RULE_TESTS = DIR.resolve("alert-rules.test.yml");
  static final Path DASHBOARD = DIR.resolve("grafana/dashboards/upshift.json");

  private MonitoringAssets() {}

  /** Every PromQL expression of the dashboard: panel targets (also in rows) and variables. */
  static List<String> dashboardQueries() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> queries = new ArrayList<>();
    collectTargets(dashboard.path("panels"), queries);
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if ("query".equals(variable.path("type").asText())) {
        JsonNode query = variable.path("query");
        queries.add(query.isTextual() ? query.asText() : query.path("query").asText());
      }
    }
    return queries;
  }

  /** Alert name and expression of every rule in alert-rules.yml. */
  static List<Alert> alerts() throws IOException {
    JsonNode rules = new YAMLMapper().readTree(ALERT_RULES.toFile());
    List<Alert> alerts = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        alerts.add(new Alert(rule.path("alert").asText(), rule.path("expr").asText()));
      }
    }
    return alerts;
  }

  record Alert(String name, String expr) {}

  private static void collectTargets(JsonNode panels, List<String> queries) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(target.path("expr").asText());
      }
      collectTargets(panel.path("panels"), queries);
    }
  }
}
