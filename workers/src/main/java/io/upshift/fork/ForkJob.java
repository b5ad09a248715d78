package io.upshift.fork;

import io.camunda.client.exception.CamundaError;
import io.upshift.run.StepFailure;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The variables of a fork-upgrade run as the workers read them: the start inputs and what earlier
 * steps recorded ({@code preflight}, {@code simulation}, {@code merge}, {@code tests}) plus the
 * last human decision ({@code approvedBy}, {@code approvalComment}).
 */
record ForkJob(
    String runId,
    String repository,
    String releaseBranch,
    String upstreamRemote,
    String targetTag,
    String rulesFile,
    Boolean keepUpgradeBranch,
    ForkUpgrades.Preflight preflight,
    MergeSimulator.Report simulation,
    ForkUpgrades.Merge merge,
    ForkUpgrades.Tests tests,
    String approvedBy,
    String approvalComment) {

  static final String DEFAULT_RULES = "fork/upgrade-rules.yaml";

  String rules() {
    return rulesFile == null || rulesFile.isBlank() ? DEFAULT_RULES : rulesFile;
  }

  /** The start inputs, checked again here for runs started outside Upshift's API. */
  ForkUpgrades.Request request() {
    var errors =
        ForkInputValidator.check(
            java.util.Map.of(
                "repository", repository == null ? "" : repository,
                "releaseBranch", releaseBranch == null ? "" : releaseBranch,
                "upstreamRemote", upstreamRemote == null ? "" : upstreamRemote,
                "targetTag", targetTag == null ? "" : targetTag,
                "rulesFile", rules()));
    if (!errors.isEmpty()) {
      throw new StepFailure(
          "fork-upgrade inputs: "
              + errors.stream().map(e -> e.field() + " " + e.message()).toList());
    }
    return new ForkUpgrades.Request(
        repository,
        releaseBranch,
        upstreamRemote,
        targetTag,
        rules(),
        Boolean.TRUE.equals(keepUpgradeBranch));
  }

  ForkUpgrades.Preflight requirePreflight() {
    if (preflight == null) {
      throw new StepFailure("the variable preflight is missing: this step runs after pre-flight");
    }
    return preflight;
  }

  ForkUpgrades.Merge requireMerge() {
    if (merge == null) {
      throw new StepFailure("the variable merge is missing: this step runs after the merge");
    }
    return merge;
  }

  MergeSimulator.Report requireSimulation() {
    if (simulation == null) {
      throw new StepFailure(
          "the variable simulation is missing: this step runs after the simulation");
    }
    return simulation;
  }

  ForkUpgrades.Tests requireTests() {
    if (tests == null) {
      throw new StepFailure("the variable tests is missing: this step runs after the tests");
    }
    return tests;
  }

  /** Runs a step body, turning an expected refusal into its BPMN error with {@code failure}. */
  static <T> T refusals(Callable<T> body) throws Exception {
    try {
      return body.call();
    } catch (ForkNotReadyException e) {
      throw CamundaError.bpmnError(e.code(), e.getMessage(), Map.of("failure", e.getMessage()));
    }
  }

  /** Journal summaries hold at most 4000 characters. */
  static String clip(String text) {
    return text.length() <= 3900 ? text : text.substring(0, 3900) + " ...";
  }
}
