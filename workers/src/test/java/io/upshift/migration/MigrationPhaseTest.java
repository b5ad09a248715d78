package io.upshift.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.migration.DatabaseMigrator.Phase;
import io.upshift.platform.PlatformDescriptor;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.Test;

/**
 * The version split of expand/contract: which pending versions each phase applies and after which
 * phase {@code requiredSchemaVersion} is enforced, for the demo's 2.0.0 (V5 before the stop, V5.1
 * in the downtime, V6 after the start) and for releases that declare one bound, none, or use a
 * command tool.
 */
class MigrationPhaseTest {

  static final List<String> DEMO_2_0_0 = List.of("1", "2", "3", "4", "5", "5.1", "6");

  @Test
  void theDemosMajorReleaseRunsV5BeforeV51InAndV6AfterTheDowntime() {
    PlatformDescriptor.Migrations m = flyway("5", "6");

    assertThat(applied(Phase.PRE_DEPLOYMENT, m, DEMO_2_0_0.subList(4, 7))).containsExactly("5");
    assertThat(applied(Phase.DOWNTIME, m, List.of("5.1", "6"))).containsExactly("5.1");
    assertThat(applied(Phase.POST_DEPLOYMENT, m, List.of("6"))).containsExactly("6");
    // A platform upgraded from 1.1.0 in one go would find V4 pending too: it is expand-safe only
    // up to 5, so V4 runs before the stop as well (it belongs to an earlier release's downtime).
    assertThat(applied(Phase.PRE_DEPLOYMENT, m, DEMO_2_0_0.subList(3, 7)))
        .containsExactly("4", "5");

    assertThat(Phase.PRE_DEPLOYMENT.enforcesRequiredVersion(m)).isFalse();
    assertThat(Phase.DOWNTIME.enforcesRequiredVersion(m))
        .as("the downtime leaves the schema short of 6 on purpose")
        .isFalse();
    assertThat(Phase.POST_DEPLOYMENT.enforcesRequiredVersion(m)).isTrue();
  }

  @Test
  void withoutASplitTheDowntimeRunsEverythingAndThePhasesAroundItNothing() {
    for (PlatformDescriptor.Migrations m : List.of(flyway(null, null), command())) {
      assertThat(Phase.PRE_DEPLOYMENT.range(m)).isEmpty();
      assertThat(Phase.POST_DEPLOYMENT.range(m)).isEmpty();
      assertThat(Phase.DOWNTIME.range(m)).contains(FlywayMigrator.Range.EVERYTHING);
      assertThat(Phase.DOWNTIME.enforcesRequiredVersion(m)).isTrue();
    }
    assertThat(Phase.ALL.range(flyway("5", "6"))).contains(FlywayMigrator.Range.EVERYTHING);
    assertThat(Phase.ALL.enforcesRequiredVersion(flyway("5", "6"))).isTrue();
  }

  @Test
  void oneBoundAloneSplitsOneSide() {
    PlatformDescriptor.Migrations preOnly = flyway("5", null);
    assertThat(applied(Phase.PRE_DEPLOYMENT, preOnly, List.of("5", "5.1", "6")))
        .containsExactly("5");
    assertThat(applied(Phase.DOWNTIME, preOnly, List.of("5.1", "6"))).containsExactly("5.1", "6");
    assertThat(Phase.DOWNTIME.enforcesRequiredVersion(preOnly)).isTrue();
    assertThat(Phase.POST_DEPLOYMENT.range(preOnly)).isEmpty();

    PlatformDescriptor.Migrations postOnly = flyway(null, "6");
    assertThat(Phase.PRE_DEPLOYMENT.range(postOnly)).isEmpty();
    assertThat(applied(Phase.DOWNTIME, postOnly, List.of("5", "5.1", "6", "6.1")))
        .containsExactly("5", "5.1");
    assertThat(applied(Phase.POST_DEPLOYMENT, postOnly, List.of("6", "6.1")))
        .containsExactly("6", "6.1");
  }

  @Test
  void versionsCompareByPartsNotAsText() {
    FlywayMigrator.Range downtime = new FlywayMigrator.Range(null, "10");
    assertThat(downtime.contains(MigrationVersion.fromVersion("9.2"))).isTrue();
    assertThat(downtime.contains(MigrationVersion.fromVersion("10"))).isFalse();
    assertThat(new FlywayMigrator.Range("5", null).contains(MigrationVersion.fromVersion("5.0")))
        .isTrue();
    assertThat(new FlywayMigrator.Range("5", null).contains(MigrationVersion.fromVersion("5.1")))
        .isFalse();
  }

  private static List<String> applied(
      Phase phase, PlatformDescriptor.Migrations m, List<String> pending) {
    FlywayMigrator.Range range = phase.range(m).orElseThrow();
    return pending.stream().filter(v -> range.contains(MigrationVersion.fromVersion(v))).toList();
  }

  private static PlatformDescriptor.Migrations flyway(String pre, String post) {
    return new PlatformDescriptor.Migrations(
        "flyway", "migrations", null, null, null, null, null, null, null, pre, post);
  }

  private static PlatformDescriptor.Migrations command() {
    return new PlatformDescriptor.Migrations(
        "command",
        null,
        null,
        "api",
        List.of("migrate"),
        null,
        Map.of("DB", "{host}"),
        null,
        null,
        null,
        null);
  }
}
