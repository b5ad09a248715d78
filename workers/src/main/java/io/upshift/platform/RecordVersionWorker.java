package io.upshift.platform;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.platform.record-version}: records the release now running in the platform's own
 * version table ({@value #TABLE}: version, applied_at, description, run_id), created if missing;
 * once per run and version.
 */
@Component
public class RecordVersionWorker {

  static final String TABLE = "upshift_platform_version";

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;

  RecordVersionWorker(PlatformOperations platforms, JobSteps steps, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.platform.record-version",
      timeout = 5 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> record(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          InstalledPlatform installed = platforms.installed(target.platform());
          String version = installed.descriptor().platform().version();
          try (Connection c =
              PlatformConnections.open(
                  installed.jdbcUrl(), installed.databaseUser(), installed.databasePassword())) {
            c.createStatement()
                .execute(
                    "CREATE TABLE IF NOT EXISTS "
                        + TABLE
                        + " (id BIGSERIAL PRIMARY KEY, version TEXT NOT NULL,"
                        + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), description TEXT, run_id TEXT, UNIQUE (run_id, version))");
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + TABLE
                        + " (version, description, run_id) VALUES (?, ?, ?) ON CONFLICT (run_id, version) DO NOTHING")) {
              ps.setString(1, version);
              ps.setString(2, installed.descriptor().platform().summary());
              ps.setString(3, target.runId());
              ps.executeUpdate();
            }
          }
          // The hop is verified and recorded: a later failure leaves it in place.
          cutover.record(target.runId(), target.hop(), CutoverLog.Action.DONE, version);
          return Map.<String, Object>of("recordedVersion", version);
        },
        out -> "recorded version " + out.get("recordedVersion"));
  }
}
