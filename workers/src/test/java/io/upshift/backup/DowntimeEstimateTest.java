package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DowntimeEstimateTest {

  private static final DowntimeEstimate.RestorePoint RESTORE_POINT =
      new DowntimeEstimate.RestorePoint(0.4, "the run's backup took this long");

  private static Staging.Result staged(long create, long started, Long answering, Long stop) {
    return new Staging.Result(
        "1.1.0", true, null, create, started, answering, stop, Map.of(), List.of(), List.of());
  }

  @Test
  void countsTheStartUntilTheEntryPointsAnswerPlusWhatComposeAddsNotUntilEveryHealthcheck() {
    Map<String, Object> hop =
        DowntimeEstimate.hop(
            "1.1.0",
            new DowntimeEstimate.Stop(0.6, "measured", 20.0),
            RESTORE_POINT,
            0.1,
            staged(30, 3_200, 500L, 600L),
            0.45,
            1);

    // 0.45 (one compose process) + 0.03 (creating the containers) + 0.5 (until answering)
    assertThat(hop.get("startSeconds")).isEqualTo(0.98);
    assertThat(hop.get("startParts"))
        .isEqualTo(
            Map.of("composeSeconds", 0.45, "createSeconds", 0.03, "untilAnsweringSeconds", 0.5));
    assertThat(hop.get("startUntilHealthySeconds")).isEqualTo(3.2);
    assertThat((String) hop.get("startBasis"))
        .startsWith("measured in staging on the copy: until the entry points")
        .contains("1 compose process(es) of 0.45 s");
    // stop 0.6 + restore point 0.4 + migrations 0.1 + start 0.98 = 2.08, to a tenth
    assertThat(hop.get("estimatedDowntimeSeconds")).isEqualTo(2.1);
    assertThat(hop.get("restorePointSeconds")).isEqualTo(0.4);
  }

  @Test
  void eachStartStagePaysItsOwnComposeProcess() {
    Map<String, Object> hop =
        DowntimeEstimate.hop(
            "1.1.0",
            new DowntimeEstimate.Stop(0.5, "measured", 10.0),
            RESTORE_POINT,
            0.0,
            staged(20, 4_000, 1_000L, 500L),
            0.5,
            2);

    assertThat(hop.get("startSeconds")).isEqualTo(2.02);
    assertThat((String) hop.get("startBasis")).contains("2 compose process(es)");
  }

  @Test
  void withoutAnAnsweringEntryPointTheStartCountsUntilEveryServiceStartedAndSaysSo() {
    Map<String, Object> hop =
        DowntimeEstimate.hop(
            "1.1.0",
            new DowntimeEstimate.Stop(0.5, "measured", 10.0),
            RESTORE_POINT,
            0.2,
            staged(10, 5_000, null, 500L),
            null,
            1);

    assertThat(hop.get("startSeconds")).isEqualTo(5.01);
    assertThat(hop.get("startParts").toString()).contains("untilStartedSeconds=5.0");
    assertThat((String) hop.get("startBasis"))
        .contains("until every service was started by its rule")
        .contains("of unknown cost");
  }

  @Test
  void withoutStagingTheStartIsAGuessAndSaysSo() {
    Map<String, Object> hop =
        DowntimeEstimate.hop(
            "1.1.0",
            DowntimeEstimate.Stop.of("1.0.0", "1.1.0", null, null, 20.0),
            RESTORE_POINT,
            0.1,
            null,
            null,
            1);

    assertThat(hop.get("startSeconds")).isEqualTo(20.0);
    assertThat(hop).doesNotContainKey("startParts");
    assertThat(hop.get("startBasis")).isEqualTo("not measured (staging skipped): a guess");
    assertThat(hop.get("stopSeconds")).isEqualTo(20.0);
    assertThat((String) hop.get("stopBasis")).startsWith("the stop plan's grace periods");
    assertThat(hop.get("estimatedDowntimeSeconds")).isEqualTo(40.5);
  }

  @Test
  void theStopIsTheStagedStopOfTheReleaseTheHopStopsWhenThereIsOne() {
    DowntimeEstimate.Stop previous = DowntimeEstimate.Stop.of("1.1.0", "1.2.0", 0.7, 0.9, 20.0);
    assertThat(previous.seconds()).isEqualTo(0.7);
    assertThat(previous.basis())
        .isEqualTo("measured: the staged 1.1.0 stopped as the cutover stops it");
    assertThat(previous.boundSeconds()).isEqualTo(20.0);

    DowntimeEstimate.Stop next = DowntimeEstimate.Stop.of("1.0.0", "1.1.0", null, 0.9, 20.0);
    assertThat(next.seconds()).isEqualTo(0.9);
    assertThat(next.basis()).startsWith("measured: the staged 1.1.0 stopped");
  }

  @Test
  void theRestorePointCountsTheRunsBackupDurationWhenTheManifestHasIt() {
    BackupManifest timed = manifest(650L);
    assertThat(DowntimeEstimate.RestorePoint.of(timed).seconds()).isEqualTo(0.65);
    assertThat(DowntimeEstimate.RestorePoint.of(timed).basis()).contains("run-1 took this long");

    BackupManifest older = manifest(null);
    assertThat(DowntimeEstimate.RestorePoint.of(older).seconds()).isZero();
    assertThat(DowntimeEstimate.RestorePoint.of(older).basis())
        .isEqualTo("not known (the backup run-1 did not record its duration)");
  }

  @Test
  void theRunsEstimateIsTheSumOfItsHopsToATenth() {
    assertThat(
            DowntimeEstimate.total(
                List.of(
                    Map.of("estimatedDowntimeSeconds", 2.1),
                    Map.of("estimatedDowntimeSeconds", 2.2))))
        .isEqualTo(4.3);
  }

  private static BackupManifest manifest(Long durationMillis) {
    return new BackupManifest(
        "run-1",
        "1",
        "demo",
        "1.0.0",
        "app",
        Instant.EPOCH,
        List.of(),
        List.of(),
        "0/1",
        Map.of(),
        Map.of(),
        List.of(),
        durationMillis);
  }
}
