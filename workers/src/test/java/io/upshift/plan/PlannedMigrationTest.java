package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.platform.PlatformDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each planned migration says when it runs relative to the downtime, in Flyway's order. */
class PlannedMigrationTest {

  @Test
  void theDemosMajorReleaseSplitsItsScriptsIntoThreePhases() {
    PlatformDescriptor.Migrations m =
        new PlatformDescriptor.Migrations(
            "flyway", "migrations", null, null, null, null, null, null, null, "5", "6");

    assertThat(UpgradePlan.PlannedMigration.phaseOf("migrations/V5__item_status.sql", m))
        .isEqualTo("pre-deployment");
    assertThat(UpgradePlan.PlannedMigration.phaseOf("migrations/V5.1__catch_up_status.sql", m))
        .isEqualTo("downtime");
    assertThat(UpgradePlan.PlannedMigration.phaseOf("migrations/V6__drop_processed_at.sql", m))
        .isEqualTo("post-deployment");
    assertThat(UpgradePlan.PlannedMigration.phaseOf("migrations/R__views.sql", m))
        .isEqualTo("downtime");
  }

  @Test
  void withoutASplitEverythingIsDowntimeAndScriptsSortByVersion() {
    PlatformDescriptor.Migrations m =
        new PlatformDescriptor.Migrations(
            "flyway", "migrations", null, null, null, null, null, null, null, null, null);
    assertThat(UpgradePlan.PlannedMigration.phaseOf("migrations/V5__item_status.sql", m))
        .isEqualTo("downtime");

    List<String> scripts =
        List.of("m/V5.1__b.sql", "m/V10__d.sql", "m/V5__a.sql", "m/V6__c.sql").stream()
            .sorted(
                java.util.Comparator.comparing(
                    UpgradePlan.PlannedMigration::version,
                    java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder())))
            .toList();
    assertThat(scripts)
        .containsExactly("m/V5__a.sql", "m/V5.1__b.sql", "m/V6__c.sql", "m/V10__d.sql");
  }
}
