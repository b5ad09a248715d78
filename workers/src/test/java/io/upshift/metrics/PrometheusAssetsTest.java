package io.upshift.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus assets in deploy/monitoring are valid for Prometheus itself: checked and
 * unit-tested by {@code promtool} (Debian package {@code prometheus}), offline.
 */
class PrometheusAssetsTest {

  private static final Path OPERATIONS_GUIDE = Path.of("../docs/operations.md");

  @Test
  void alertRulesAreValid() throws Exception {
    promtool("check", "rules", MonitoringAssets.ALERT_RULES.toString());
  }

  @Test
  void alertRulesFireAsTheirUnitTestsExpect() throws Exception {
    promtool("test", "rules", MonitoringAssets.ALERT_RULE_TESTS.toString());
  }

  @Test
  void everyAlertHasAUnitTestAndIsDocumented() throws IOException {
    String tests = Files.readString(MonitoringAssets.ALERT_RULE_TESTS);
    String guide = Files.readString(OPERATIONS_GUIDE);

    assertThat(MonitoringAssets.alerts())
        .isNotEmpty()
        .allSatisfy(
            alert -> {
              assertThat(tests)
                  .as("unit test for %s", alert.name())
                  .contains("alertname: " + alert.name());
              assertThat(guide)
                  .as("%s in the operations guide", alert.name())
                  .contains(alert.name());
            });
  }

  @Test
  void scrapeConfigIsValid() throws Exception {
    promtool("check", "config", MonitoringAssets.PROMETHEUS_CONFIG.toString());
  }

  /** Grafana variables replaced by plausible values, each query must parse as PromQL. */
  @Test
  void dashboardQueriesAreValidPromQl(@TempDir Path dir) throws Exception {
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode file = yaml.createObjectNode();
    ArrayNode rules =
        file.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
    List<String> queries = MonitoringAssets.dashboardQueries();
    assertThat(queries).hasSizeGreaterThan(20);
    int n = 0;
    for (String query : queries) {
      if (query.startsWith("label_values(")) {
        continue;
      }
      String expr =
          query
              .replace("$__rate_interval", "5m")
              .replace("$__range", "1d")
              .replaceAll("\\$\\{?\\w+}?", ".*");
      rules.addObject().put("record", "dashboard:query_" + ++n).put("expr", expr);
    }
    Path rulesFile = dir.resolve("dashboard-queries.yml");
    yaml.writeValue(rulesFile.toFile(), file);

    promtool("check", "rules", rulesFile.toString());
  }

  private static void promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(locatePromtool());
    command.addAll(List.of(args));
    // Output goes to a file, not a pipe: reading a pipe to its end before waitFor would make the
    // bound below meaningless (a hung promtool keeps the pipe open).
    Path outputFile = Files.createTempFile("promtool-", ".log");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(new File("."))
              .redirectErrorStream(true)
              .redirectOutput(outputFile.toFile())
              .start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail(
            "%s did not finish within 60 s; output so far:%n%s",
            String.join(" ", command), Files.readString(outputFile, StandardCharsets.UTF_8));
      }
      String output = Files.readString(outputFile, StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as("%s:%n%s", String.join(" ", command), output).isZero();
    } finally {
      Files.deleteIfExists(outputFile);
    }
  }

  private static String locatePromtool() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "promtool"));
      }
    }
    candidates.add(Path.of("/usr/bin/promtool"));
    return candidates.stream()
        .filter(Files::isExecutable)
        .findFirst()
        .map(Path::toString)
        .orElseGet(
            () ->
                fail(
                    "promtool not found on PATH or at /usr/bin/promtool; it checks the Prometheus"
                        + " assets in deploy/monitoring. ./upshift test installs it; by hand:"
                        + " deploy/lib/ensure-promtool.sh"));
  }
}
