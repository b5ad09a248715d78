package io.upshift.migration;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformOperations;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.migration.post-deploy}: after the hop's release is started, verified and recorded,
 * while it serves, applies its post-deployment (contract) migrations: the pending Flyway versions
 * from each database's {@code postDeploymentFrom}, then enforces {@code requiredSchemaVersion}.
 * Nothing, without connecting, when the release declares none. A failure is hopeless and names the
 * versions still pending; the model does not roll back for it (the new release serves on the
 * expanded schema) but asks a person to retry or leave them pending.
 */
@Component
public class PostDeploymentMigrationsWorker {

  /** Output: what ran after the start, per database, and the time it took. */
  public record PostDeployed(
      List<String> postDeploymentApplied,
      long postDeploymentMillis,
      List<Map<String, Object>> postDeploymentMigrations,
      String postDeploymentSummary) {}

  private final PlatformOperations platforms;
  private final PlatformMigrations migrations;
  private final JobSteps steps;

  PostDeploymentMigrationsWorker(
      PlatformOperations platforms, PlatformMigrations migrations, JobSteps steps) {
    this.platforms = platforms;
    this.migrations = migrations;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.migration.post-deploy",
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "runId", "hop"})
  public PostDeployed postDeploy(ActivatedJob job, @VariablesAsType MigrationPhaseInput input) {
    return steps.run(
        job,
        () -> {
          MigrationPhaseInput in = input.require(job.getType());
          InstalledPlatform installed = platforms.installed(in.platform());
          List<DatabaseMigrator.Outcome> outcomes;
          try {
            outcomes =
                migrations.migrate(
                    installed, in.runId(), List.of(), DatabaseMigrator.Phase.POST_DEPLOYMENT);
          } catch (DatabaseMigrator.MigrationFailedException e) {
            List<String> pending;
            try {
              pending =
                  migrations.pending(installed, in.runId(), DatabaseMigrator.Phase.POST_DEPLOYMENT);
            } catch (RuntimeException unknown) {
              pending = List.of("unknown (" + unknown.getMessage() + ")");
            }
            throw new StepFailure(
                "Post-deployment migration of "
                    + in.hop()
                    + " failed while "
                    + in.hop()
                    + " serves: "
                    + e.getMessage()
                    + (e.appliedBefore().isEmpty()
                        ? ""
                        : "; applied before the failure: " + String.join(", ", e.appliedBefore()))
                    + "; still pending: "
                    + (pending.isEmpty() ? "none" : String.join(", ", pending))
                    + ". Fix the cause and retry, or leave them pending (the release serves"
                    + " without them; the next upgrade applies them)",
                e);
          }
          return new PostDeployed(
              outcomes.stream().flatMap(o -> o.applied().stream()).toList(),
              outcomes.stream().mapToLong(DatabaseMigrator.Outcome::millis).sum(),
              outcomes.stream().map(DatabaseMigrator.Outcome::asMap).toList(),
              outcomes.isEmpty()
                  ? "none declared"
                  : outcomes.stream()
                      .map(DatabaseMigrator.Outcome::summary)
                      .collect(Collectors.joining("; ")));
        },
        out -> "after the start: " + out.postDeploymentSummary());
  }
}
