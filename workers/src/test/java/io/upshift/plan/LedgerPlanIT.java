package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.platform.DescriptorException;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.ReleaseRepository;
import io.upshift.support.LedgerPlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan of the ledger platform, whose release tags are {@code v}-prefixed and carry no
 * descriptor (the operator keeps them in deploy/ledger/descriptors): the installed release is found
 * from the checkout's tag, the path goes through 1.1.0, and each hop says what "started" means per
 * service, carries its release notes and (1.2.0) its manual step; a descriptor naming a volume the
 * compose file lacks is refused with its file and field.
 */
class LedgerPlanIT {

  @TempDir Path dir;

  private PlatformRegistry.Registration install(Path descriptors) throws Exception {
    Path repo = LedgerPlatform.repository();
    Path work = dir.resolve("work");
    var registration =
        new PlatformRegistry.Registration(
            repo.toUri().toString(), work, "ledger", descriptors, LedgerPlatform.TAG_PATTERN);
    try (ReleaseRepository releases =
        ReleaseRepository.open("ledger", registration, dir.resolve("mirror"))) {
      releases.checkout(releases.release("v1.0.0").orElseThrow(), work);
    }
    Files.copy(work.resolve(".env.example"), work.resolve(".env"));
    return registration;
  }

  private UpgradePlanner planner(PlatformRegistry.Registration registration) {
    return new UpgradePlanner(
        new PlatformRegistry(Map.of("ledger", registration)), dir.resolve("data"));
  }

  @Test
  void theLedgerPlanGoesThroughItsReleasesWithStartedRulesNotesAndTheManualStep() throws Exception {
    PlatformRegistry.Registration registration = install(LedgerPlatform.descriptors());
    assertThat(Files.exists(registration.workingDirectory().resolve("upshift.yaml")))
        .as("the tags carry no descriptor")
        .isFalse();

    UpgradePlan plan = planner(registration).plan("ledger", "1.2.0", true);

    assertThat(plan.fromVersion()).isEqualTo("1.0.0");
    assertThat(plan.hops())
        .extracting(UpgradePlan.PlannedHop::to)
        .containsExactly("v1.1.0", "v1.2.0");
    UpgradePlan.PlannedHop last = plan.hops().get(1);
    assertThat(last.started())
        .containsExactly(
            "api: health URL http://127.0.0.1:${API_PORT}/health answers 2xx (up to 90 s)",
            "worker: running, not restarting, for 5 s",
            "manager: Docker healthcheck reports healthy",
            "db: log line /database system is ready to accept connections/ since the container"
                + " started (up to 120 s)");
    assertThat(last.releaseNotes()).startsWith("# upshift-ledger 1.2.0").contains("Manual step");
    assertThat(plan.hops().get(0).releaseNotes()).startsWith("# upshift-ledger 1.1.0");
    assertThat(last.manualSteps())
        .extracting(UpgradePlan.PlannedManualStep::id, UpgradePlan.PlannedManualStep::at)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("set-upload-quota", "afterMigrations"));
    assertThat(plan.hops())
        .allSatisfy(h -> assertThat(h.undeclaredVariables()).as(h.to()).isEmpty());
  }

  @Test
  void aDescriptorNamingAVolumeTheComposeFileLacksFailsThePlan() throws Exception {
    Path descriptors = dir.resolve("descriptors");
    try (Stream<Path> files = Files.walk(LedgerPlatform.descriptors())) {
      for (Path f : files.toList()) {
        Path to = descriptors.resolve(LedgerPlatform.descriptors().relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    Path file = descriptors.resolve("1.2.0/upshift.yaml");
    Files.writeString(file, Files.readString(file).replace("- name: uploads", "- name: upload"));
    PlatformRegistry.Registration registration = install(descriptors);

    assertThatThrownBy(() -> planner(registration).plan("ledger", "1.2.0", true))
        .isInstanceOf(DescriptorException.class)
        .hasMessageStartingWith(file + " does not fit release v1.2.0: ")
        .hasMessageContaining(
            "volumes[0].name: 'upload' is not a named volume of docker-compose.yml (its top-level"
                + " volumes: [pgdata, uploads])");
  }
}
