package io.upshift.backup;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The downtime the rehearsal expects a hop to cause, as users will see it (from the first entry
 * point that stops answering until all answer again), from what it measured: the stop, the restore
 * point taken after it, the migrations of the downtime and the start until the entry points answer.
 * Each part says what it is based on; the evidence shows them (docs/job-types.md, {@code
 * upshift.rehearsal.restore}).
 */
final class DowntimeEstimate {

  /**
   * What the estimate counts for starting a hop's release when the run skipped staging (nothing was
   * measured then): a guess, said so in the evidence.
   */
  static final Duration UNSTAGED_START_ALLOWANCE = Duration.ofSeconds(20);

  private DowntimeEstimate() {}

  /** The stop the estimate counts, what it is based on, and the grace periods' bound beside it. */
  record Stop(double seconds, String basis, double boundSeconds) {

    /**
     * The measured stop of the release the hop stops (staged by the previous hop), else that of the
     * release it starts (the same services on the next images), else the bound.
     */
    static Stop of(
        String from, String to, Double previousStagedStop, Double stagedStop, double bound) {
      if (previousStagedStop != null) {
        return new Stop(
            previousStagedStop,
            "measured: the staged " + from + " stopped as the cutover stops it",
            bound);
      }
      if (stagedStop != null) {
        return new Stop(
            stagedStop,
            "measured: the staged "
                + to
                + " stopped as the cutover stops it (the same services as the running release, on"
                + " the next release's images)",
            bound);
      }
      return new Stop(
          bound,
          "the stop plan's grace periods (longest per stop-order group, groups in turn): the most a"
              + " stop takes, when services ignore SIGTERM",
          bound);
    }
  }

  /**
   * The restore point a hop takes at its stop, counted as the run's backup took: the same
   * databases, dumped at a faster compression.
   */
  record RestorePoint(double seconds, String basis) {

    static RestorePoint of(BackupManifest backup) {
      return backup.durationMillis() == null
          ? new RestorePoint(
              0, "not known (the backup " + backup.id() + " did not record its duration)")
          : new RestorePoint(
              backup.durationMillis() / 1000.0,
              "the run's backup "
                  + backup.id()
                  + " took this long; the restore point at the stop dumps the same databases");
    }
  }

  /**
   * One hop's estimate, the map the evidence shows.
   *
   * @param staged what staging found, null when the run skipped it
   * @param composeSeconds one compose process on the live project, null if it could not be timed
   * @param startStages how many start stages (each one compose process in the cutover)
   */
  static Map<String, Object> hop(
      String hop,
      Stop stop,
      RestorePoint restorePoint,
      double migrationSeconds,
      Staging.Result staged,
      Double composeSeconds,
      int startStages) {
    Map<String, Object> estimate = new LinkedHashMap<>();
    estimate.put("hop", hop);
    estimate.put("stopSeconds", stop.seconds());
    estimate.put("stopBasis", stop.basis());
    estimate.put("stopBoundSeconds", stop.boundSeconds());
    estimate.put("restorePointSeconds", restorePoint.seconds());
    estimate.put("restorePointBasis", restorePoint.basis());
    estimate.put("migrationSeconds", migrationSeconds);
    double start;
    if (staged == null) {
      start = UNSTAGED_START_ALLOWANCE.toSeconds();
      estimate.put("startSeconds", start);
      estimate.put("startUntilHealthySeconds", start);
      estimate.put("startBasis", "not measured (staging skipped): a guess");
    } else {
      // The cutover's compose up pays what staging (Docker's API) does not: a compose process per
      // start stage and creating the containers.
      boolean answered = staged.answeringMillis() != null;
      double until = (answered ? staged.answeringMillis() : staged.startMillis()) / 1000.0;
      double compose = composeSeconds == null ? 0 : composeSeconds * startStages;
      double create = staged.createMillis() / 1000.0;
      start = Math.round((compose + create + until) * 1000) / 1000.0;
      estimate.put("startSeconds", start);
      Map<String, Object> parts = new LinkedHashMap<>();
      parts.put("composeSeconds", compose);
      parts.put("createSeconds", create);
      parts.put(answered ? "untilAnsweringSeconds" : "untilStartedSeconds", until);
      estimate.put("startParts", parts);
      estimate.put("startUntilHealthySeconds", staged.startMillis() / 1000.0);
      estimate.put(
          "startBasis",
          (answered
                  ? "measured in staging on the copy: until the entry points (health checks)"
                      + " answered, polled every 100 ms, as the cutover counts downtime"
                  : "measured in staging on the copy: until every service was started by its rule"
                      + " (no entry point answered to time)")
              + "; plus creating the containers and "
              + startStages
              + " compose process(es) of "
              + (composeSeconds == null ? "unknown cost" : composeSeconds + " s")
              + ", which the cutover's start pays");
    }
    estimate.put(
        "estimatedDowntimeSeconds",
        tenths(stop.seconds() + restorePoint.seconds() + migrationSeconds + start));
    return estimate;
  }

  /** The run's estimate: the hops' sum, to a tenth of a second. */
  static double total(List<Map<String, Object>> hops) {
    return tenths(hops.stream().mapToDouble(e -> (Double) e.get("estimatedDowntimeSeconds")).sum());
  }

  private static double tenths(double seconds) {
    return Math.round(seconds * 10) / 10.0;
  }
}
