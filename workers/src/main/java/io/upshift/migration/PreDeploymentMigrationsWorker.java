package io.upshift.migration;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformOperations;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.migration.pre-deploy}: before the stop, while the old release still serves,
 * applies the hop's release's pre-deployment (expand) migrations, the pending Flyway versions up to
 * each database's {@code preDeploymentUpTo}, read from the release's tag (it is not checked out
 * yet). Nothing, without connecting, when the release declares none. A failure is hopeless and
 * names the expand migrations that stayed applied: they are backward compatible, so the old release
 * keeps serving on them; the model ends the run as a failure before the stop.
 */
@Component
public class PreDeploymentMigrationsWorker {

  /** Output: what ran before the stop, per database, and the time it took. */
  public record PreDeployed(
      List<String> preDeploymentApplied,
      long preDeploymentMillis,
      List<java.util.Map<String, Object>> preDeploymentMigrations,
      String preDeploymentSummary) {}

  private final PlatformOperations platforms;
  private final PlatformMigrations migrations;
  private final JobSteps steps;

  PreDeploymentMigrationsWorker(
      PlatformOperations platforms, PlatformMigrations migrations, JobSteps steps) {
    this.platforms = platforms;
    this.migrations = migrations;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.migration.pre-deploy",
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "runId", "hop"})
  public PreDeployed preDeploy(ActivatedJob job, @VariablesAsType MigrationPhaseInput input) {
    return steps.run(
        job,
        () -> {
          MigrationPhaseInput in = input.require(job.getType());
          InstalledPlatform installed = platforms.installed(in.platform());
          String serving = installed.descriptor().platform().version();
          List<DatabaseMigrator.Outcome> outcomes;
          try (ReleaseRepository repository = platforms.repository(in.platform())) {
            Release release =
                repository
                    .release(in.hop())
                    .orElseThrow(
                        () ->
                            new StepFailure("There is no release " + in.hop() + " to migrate to"));
            outcomes = migrations.preDeploy(installed, repository, release, in.runId());
          } catch (DatabaseMigrator.MigrationFailedException e) {
            throw new StepFailure(
                "Pre-deployment migration of "
                    + in.hop()
                    + " failed while "
                    + serving
                    + " still serves: "
                    + e.getMessage()
                    + "; "
                    + (e.appliedBefore().isEmpty()
                        ? "no pre-deployment migration stayed applied"
                        : "the pre-deployment (expand) migrations "
                            + String.join(", ", e.appliedBefore())
                            + " stayed applied; they are backward compatible, so "
                            + serving
                            + " keeps serving on them"),
                e);
          }
          return new PreDeployed(
              outcomes.stream().flatMap(o -> o.applied().stream()).toList(),
              outcomes.stream().mapToLong(DatabaseMigrator.Outcome::millis).sum(),
              outcomes.stream().map(DatabaseMigrator.Outcome::asMap).toList(),
              outcomes.isEmpty()
                  ? "none declared"
                  : outcomes.stream()
                      .map(DatabaseMigrator.Outcome::summary)
                      .collect(Collectors.joining("; ")));
        },
        out -> "before the stop: " + out.preDeploymentSummary());
  }
}
