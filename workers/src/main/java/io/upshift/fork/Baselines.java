package io.upshift.fork;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.upshift.run.StepFailure;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Test baselines, one per base version, versioned in the fork as {@code
 * fork/test-baselines/<version>.json}: {@code {"version", "failures": [ids], "passed", "failed",
 * "skipped", "recordedAt", "run"}}. The finish step writes the new version's baseline into the
 * merge commit, so the next upgrade compares against it.
 */
final class Baselines {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Baselines() {}

  static List<String> failures(String text, String file) {
    try {
      JsonNode root = JSON.readTree(text);
      JsonNode failures = root == null ? null : root.get("failures");
      if (failures == null || !failures.isArray()) {
        throw new StepFailure(
            file + ": 'failures' must be a list of test ids; fix the baseline in the fork");
      }
      List<String> ids = new ArrayList<>();
      failures.forEach(f -> ids.add(f.asText()));
      return ids;
    } catch (IOException e) {
      throw new StepFailure(
          file + " is not JSON (" + e.getMessage() + "); fix the baseline in the fork", e);
    }
  }

  static String write(String version, ForkUpgrades.Tests tests, String runId, Instant at) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", version);
    root.put("passed", tests.passed());
    root.put("failed", tests.failed());
    root.put("skipped", tests.skipped());
    root.putPOJO("failures", allFailures(tests));
    root.put("recordedAt", at.toString());
    root.put("run", runId);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Pre-existing and new failures: the complete list, even when the variable's list is capped. */
  private static List<String> allFailures(ForkUpgrades.Tests tests) {
    List<String> all = new ArrayList<>(tests.preExisting());
    all.addAll(tests.regressions());
    return all.stream().sorted().toList();
  }
}
