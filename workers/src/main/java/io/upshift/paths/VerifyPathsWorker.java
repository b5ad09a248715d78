package io.upshift.paths;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Version;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.paths.verify}: verifies every upgrade path the registered platform's policy allows
 * between {@code from} (optional: the oldest release) and {@code to} (optional: the newest) on a
 * scratch PostgreSQL (see {@link PathVerifier}). Outputs {@link Verified}; a path that diverges
 * throws BPMN error {@value #PATHS_DIVERGE} with {@code failure} and {@code pathMatrix}.
 */
@Component
public class VerifyPathsWorker {

  static final String JOB_TYPE = "upshift.paths.verify";
  static final String PATHS_DIVERGE = "PATHS_DIVERGE";

  private final PlatformRegistry registry;
  private final PathsProperties properties;
  private final Path dataDir;
  private final JobSteps steps;

  VerifyPathsWorker(
      PlatformRegistry registry,
      PathsProperties properties,
      @Value("${upshift.data-dir}") Path dataDir,
      JobSteps steps) {
    this.registry = registry;
    this.properties = properties;
    this.dataDir = dataDir;
    this.steps = steps;
  }

  /** The job's inputs: a registered platform and the release range. */
  public record Request(String platform, String from, String to) {}

  /** The outcome kept in the run: counts and the matrix (shortened). */
  public record Verified(int pathsVerified, int pathsFailed, String pathMatrix) {}

  @JobWorker(
      type = JOB_TYPE,
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "from", "to", "runId"})
  public Verified verify(ActivatedJob job, @VariablesAsType Request request) {
    return steps.run(
        job,
        () -> {
          String url = repository(request);
          PathReport report;
          try {
            report =
                PathVerifier.verify(
                    new PathVerifier.Request(
                        url,
                        dataDir.resolve("paths").resolve(request.platform() + ".git"),
                        request.from(),
                        request.to(),
                        properties.image()));
          } catch (DescriptorException e) {
            throw new StepFailure(e.getMessage(), e);
          }
          String matrix = report.summary(properties.summaryLimit());
          if (!report.passed()) {
            String failure =
                report.failedPaths() + " of " + report.paths().size() + " upgrade paths diverge";
            PathReport.PathResult first =
                report.paths().stream().filter(p -> !p.passed()).findFirst().orElse(null);
            if (first != null) {
              failure += "; first: " + first.path() + ", " + first.divergences().get(0);
            } else {
              failure += "; catalog: " + report.catalog().get(0);
            }
            throw CamundaError.bpmnError(
                PATHS_DIVERGE,
                failure,
                Map.of(
                    "failure", failure, "pathMatrix", matrix, "pathsFailed", report.failedPaths()));
          }
          return new Verified(report.paths().size(), 0, matrix);
        },
        out -> out.pathMatrix());
  }

  private String repository(Request request) {
    if (request.platform() == null || request.platform().isBlank()) {
      throw new StepFailure(JOB_TYPE + " needs the variable platform (a registered platform name)");
    }
    for (String field : new String[] {request.from(), request.to()}) {
      if (field != null && !Version.isVersion(field)) {
        throw new StepFailure(
            "from/to '" + field + "' is not a release version like 3.15.2 (MAJOR.MINOR.PATCH)");
      }
    }
    return registry
        .find(request.platform())
        .map(PlatformRegistry.Registration::repository)
        .orElseThrow(
            () ->
                new StepFailure(
                    "Unknown platform '"
                        + request.platform()
                        + "'; registered: "
                        + registry.names()));
  }
}
