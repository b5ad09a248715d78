package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.start}: re-tags the previous images by digest, starts the previous
 * release, waits until healthy and runs its health checks. Outputs {@code rollback}, the review a
 * person reads (what failed, what was undone, from which restore point, what was discarded and
 * where it is kept, what to do next), and extends {@code outcomeMessage} with it.
 */
@Component
public class StartPreviousReleaseWorker {

  /** Output: {@code rollback} and {@code outcomeMessage}. */
  public record Started(Map<String, Object> rollback, String outcomeMessage) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  StartPreviousReleaseWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.start",
      timeout = 20 * 60 * 1000,
      fetchVariables = {
        "platform",
        "runId",
        "rollbackPlan",
        "databaseRestore",
        "dataRestore",
        "outcomeMessage"
      })
  public Started start(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> {
          RollbackPlan plan = input.plan();
          Map<String, Object> started = rollback.startPrevious(input.platform(), plan);
          DataRestore db = plan.restoreDatabase() ? input.data() : null;
          List<String> undone = new ArrayList<>();
          undone.add("stopped the failed release " + plan.hop());
          if (plan.restoreFiles()) {
            undone.add("put back the release files and configuration of " + plan.previousVersion());
          }
          if (db != null) {
            for (DatabaseRestore d : db.databases()) {
              undone.add(
                  "restored database "
                      + d.database()
                      + " from restore point "
                      + d.restoredFrom()
                      + " (taken at the stop of hop "
                      + plan.hop()
                      + ")");
            }
            for (VolumeRestore v : db.volumes()) {
              undone.add(
                  "restored volume "
                      + v.volume()
                      + " from the same restore point ("
                      + v.entries()
                      + " entries)");
            }
          } else {
            undone.add("kept the database: the hop's migrations never started");
          }
          undone.add(
              "started "
                  + plan.previousVersion()
                  + " by the image digests that ran before; health checks pass");
          Map<String, Object> review = new LinkedHashMap<>();
          review.put("failure", input.outcomeMessage());
          review.put("version", plan.previousVersion());
          review.put("undone", undone);
          review.put("restoredFrom", db == null ? null : db.restoredFrom());
          review.put(
              "discarded",
              db == null ? "Nothing was discarded: the database was not restored." : db.sentence());
          review.put(
              "failedStateKeptAs", db == null ? null : String.join(", ", db.failedStatesKeptAs()));
          review.put(
              "next",
              db == null
                  ? "Acknowledge. Find the cause of the failure before the next attempt."
                  : "Reconcile the discarded rows if any (docs/operations.md), then choose"
                      + " \"Acknowledge and drop failed state\", or \"Keep failed state\" to drop it by"
                      + " hand later.");
          review.putAll(started);
          String message =
              input.outcomeMessage()
                  + ". Rolled back to "
                  + plan.previousVersion()
                  + (db == null ? "; the database was not touched." : "; " + db.sentence());
          return new Started(review, message);
        },
        out ->
            "rolled back to "
                + out.rollback().get("version")
                + ": "
                + out.rollback().get("discarded"));
  }
}
