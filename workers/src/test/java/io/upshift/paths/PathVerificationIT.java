package io.upshift.paths;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.paths.PathReport.Kind;
import io.upshift.paths.PathReport.PathResult;
import io.upshift.support.DemoPlatform;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 002 on a real PostgreSQL (the demo platform's image, one container for the class): the
 * backport applies exactly once on every allowed path, and each kind of bad catalog is caught with
 * its own message.
 */
class PathVerificationIT {

  static ScratchPostgres pg;

  @TempDir Path tmp;

  @BeforeAll
  static void startPostgres() {
    DemoPlatform.repository(); // builds the PostgreSQL image offline when missing
    ScratchPostgres.removeLeftovers();
    pg = ScratchPostgres.start(CatalogRepo.IMAGE, "it-" + ProcessHandle.current().pid());
  }

  @AfterAll
  static void stopPostgres() {
    if (pg != null) {
      pg.close();
    }
  }

  PathReport verify(CatalogRepo repo, String from, String to) throws Exception {
    PathReport report =
        PathVerifier.verify(
            new PathVerifier.Request(repo.url(), tmp.resolve("cache.git"), from, to, null), pg);
    System.out.println(report.render());
    return report;
  }

  static PathResult path(PathReport report, String name) {
    return report.paths().stream()
        .filter(p -> p.path().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no path " + name + " in " + report.render()));
  }

  static Map<String, String> sql(String... entries) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < entries.length; i += 2) {
      m.put(entries[i], entries[i + 1] != null ? entries[i + 1] : CatalogRepo.SQL.get(entries[i]));
    }
    return m;
  }

  @Test
  void seed002BackportAppliesOnceOnEveryPath() throws Exception {
    PathReport report = verify(CatalogRepo.seed002(tmp.resolve("repo")), "3.15.2", "3.16.0");

    assertThat(report.paths())
        .extracting(PathResult::path)
        .containsExactly(
            "fresh 3.16.0", "3.15.2 -> 3.15.3 -> 3.16.0", "3.15.2 -> 3.16.0", "3.15.3 -> 3.16.0");
    assertThat(report.passed()).as(report.render()).isTrue();
    assertThat(path(report, "3.15.2 -> 3.15.3 -> 3.16.0").hops())
        .containsExactly("3.15.2: 1,2", "3.15.3: 2.1", "3.16.0: 3,4");
    assertThat(path(report, "3.15.2 -> 3.16.0").hops())
        .containsExactly("3.15.2: 1,2", "3.16.0: 2.1,3,4");
    assertThat(path(report, "fresh 3.16.0").hops()).containsExactly("3.16.0: 1,2,2.1,3,4");
    assertThat(report.paths())
        .allSatisfy(
            p -> assertThat(p.once() && p.noneLost() && p.sameSchema() && p.checksums()).isTrue());
    // fresh; 3.15.2 (kept for its second path, so 3.15.2 -> 3.15.3 works on a copy that 3.16.0
    // then migrates in place; 3.15.2 -> 3.16.0 in place, its last use); 3.15.3 and its hop in place
    assertThat(report.databases()).isEqualTo(4);
    assertThat(report.render()).contains("RESULT: PASS");
  }

  @Test
  void aBackportMissingFromAnInBetweenReleaseIsLost() throws Exception {
    // Seed 002's variant: 3.14.6 got the backport, 3.15.3 did not (3.15 added no migration).
    CatalogRepo repo =
        new CatalogRepo(tmp.resolve("repo"))
            .release(
                "3.14.6",
                "3.14",
                List.of(
                    "V1__create_repository.sql",
                    "V2__content_guard.sql",
                    "V2_1__bmbouter_test.sql"))
            .release(
                "3.15.3", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
            .release(
                "3.16.0",
                "main",
                List.of(
                    "V1__create_repository.sql",
                    "V2__content_guard.sql",
                    "V2_1__bmbouter_test.sql",
                    "V3__remove_reserved_resource.sql",
                    "V4__task_groups.sql"));

    PathReport report = verify(repo, "3.14.6", "3.16.0");

    assertThat(report.passed()).isFalse();
    PathResult lost = path(report, "3.14.6 -> 3.15.3 -> 3.16.0");
    assertThat(lost.noneLost()).isFalse();
    assertThat(lost.divergences().get(0).kind()).isEqualTo(Kind.LOST);
    assertThat(lost.divergences().get(0).hop()).isEqualTo("3.14.6 -> 3.15.3");
    assertThat(lost.divergences().get(0).migration()).isEqualTo("2.1 (bmbouter test)");
    assertThat(lost.divergences().get(0).message())
        .contains("migration 2.1 (bmbouter test) applied by 3.14.6 is missing from 3.15.3")
        .contains("a release in between (later 3.16.0 has it again)")
        .contains("Flyway did not object");
    assertThat(path(report, "3.15.3 -> 3.16.0").passed()).isTrue();
    assertThat(path(report, "fresh 3.16.0").passed()).isTrue();
    assertThat(report.render())
        .contains(
            "First divergence: 3.14.6 -> 3.15.3 -> 3.16.0, hop 3.14.6 -> 3.15.3, migration 2.1")
        .contains("RESULT: FAIL");
  }

  @Test
  void aReleasedMigrationEditedAfterwardsIsCaughtByChecksum() throws Exception {
    CatalogRepo repo =
        new CatalogRepo(tmp.resolve("repo"))
            .release(
                "3.15.2", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
            .release(
                "3.15.3",
                "3.15",
                CatalogRepo.POLICY,
                sql(
                    "V1__create_repository.sql",
                    null,
                    "V2__content_guard.sql",
                    "CREATE TABLE content_guard (id BIGSERIAL PRIMARY KEY,"
                        + " repository_id BIGINT REFERENCES repository (id), name TEXT);\n"));

    PathReport report = verify(repo, "3.15.2", "3.15.3");

    PathResult edited = path(report, "3.15.2 -> 3.15.3");
    assertThat(edited.divergences().get(0).kind()).isEqualTo(Kind.EDITED);
    assertThat(edited.checksums()).isFalse();
    assertThat(edited.divergences().get(0).message())
        .contains("migration 2 (content guard) was edited after its release")
        .contains("checksum mismatch");
    assertThat(report.catalog())
        .singleElement()
        .satisfies(f -> assertThat(f.kind()).isEqualTo(Kind.EDITED));
    assertThat(path(report, "fresh 3.15.3").passed()).isTrue();
  }

  @Test
  void theSameChangeUnderTwoVersionsIsCaught() throws Exception {
    CatalogRepo repo =
        new CatalogRepo(tmp.resolve("repo"))
            .release(
                "3.15.2", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
            .release(
                "3.15.3",
                "3.15",
                List.of(
                    "V1__create_repository.sql",
                    "V2__content_guard.sql",
                    "V2_1__bmbouter_test.sql"))
            .release(
                "3.16.0",
                "main",
                CatalogRepo.POLICY,
                sql(
                    "V1__create_repository.sql", null,
                    "V2__content_guard.sql", null,
                    "V3__remove_reserved_resource.sql", null,
                    "V4__task_groups.sql", null,
                    "V5__bmbouter_test.sql", CatalogRepo.SQL.get("V2_1__bmbouter_test.sql")));

    PathReport report = verify(repo, "3.15.2", "3.16.0");

    PathResult twice = path(report, "3.15.2 -> 3.15.3 -> 3.16.0");
    assertThat(twice.once()).isFalse();
    assertThat(twice.divergences().get(0).kind()).isEqualTo(Kind.DUPLICATE);
    assertThat(twice.divergences().get(0).message())
        .contains("2.1 (bmbouter test), applied by 3.15.3, is 5 (bmbouter test) in 3.16.0");
    assertThat(report.catalog())
        .anySatisfy(
            f ->
                assertThat(f.message())
                    .contains("the same change is shipped under 2 versions")
                    .contains("2.1 (bmbouter test) in 3.15.3")
                    .contains("5 (bmbouter test) in 3.16.0"));
    assertThat(path(report, "3.15.2 -> 3.16.0").passed()).isTrue();
  }

  @Test
  void aBackportFlywayAppliesOnlyOutOfOrderIsExplained() throws Exception {
    // The backport numbered after master's migrations (like Django's 0077): 3.15.3 applies 5,
    // then 3.16.0's 3 and 4 sort before it.
    Map<String, String> master =
        sql(
            "V1__create_repository.sql", null,
            "V2__content_guard.sql", null,
            "V3__remove_reserved_resource.sql", null,
            "V4__task_groups.sql", null,
            "V5__bmbouter_test.sql", CatalogRepo.SQL.get("V2_1__bmbouter_test.sql"));
    CatalogRepo repo =
        new CatalogRepo(tmp.resolve("repo"))
            .release(
                "3.15.2", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
            .release("3.16.0", "main", CatalogRepo.POLICY, master)
            .release(
                "3.15.3",
                "3.15",
                CatalogRepo.POLICY,
                sql(
                    "V1__create_repository.sql", null,
                    "V2__content_guard.sql", null,
                    "V5__bmbouter_test.sql", CatalogRepo.SQL.get("V2_1__bmbouter_test.sql")));

    PathReport report = verify(repo, "3.15.2", "3.16.0");

    PathResult late = path(report, "3.15.2 -> 3.15.3 -> 3.16.0");
    assertThat(late.divergences().get(0).kind()).isEqualTo(Kind.OUT_OF_ORDER);
    assertThat(late.divergences().get(0).hop()).isEqualTo("3.15.3 -> 3.16.0");
    assertThat(late.divergences().get(0).message())
        .contains("migration 3 (remove reserved resource) of 3.16.0 sorts before 5")
        .contains("outOfOrder=true");
    assertThat(late.outOfOrder())
        .startsWith("With outOfOrder=true this path would pass")
        .contains("on every other path");
    assertThat(path(report, "3.15.2 -> 3.16.0").passed()).isTrue();
    assertThat(path(report, "fresh 3.16.0").passed()).isTrue();
  }

  @Test
  void outOfOrderThatChangesTheSchemaShowsTheDiffLines() throws Exception {
    // Both add a column to the same table: applied out of order, the columns change places.
    String master = "ALTER TABLE repository ADD COLUMN pulp_labels TEXT;\n";
    String backport = "ALTER TABLE repository ADD COLUMN retain_versions INTEGER;\n";
    CatalogRepo repo =
        new CatalogRepo(tmp.resolve("repo"))
            .release("3.15.2", "3.15", List.of("V1__create_repository.sql"))
            .release(
                "3.16.0",
                "main",
                CatalogRepo.POLICY,
                sql(
                    "V1__create_repository.sql", null,
                    "V2__labels.sql", master,
                    "V3__retain_versions.sql", backport))
            .release(
                "3.15.3",
                "3.15",
                CatalogRepo.POLICY,
                sql("V1__create_repository.sql", null, "V3__retain_versions.sql", backport));

    PathReport report = verify(repo, "3.15.3", "3.16.0");

    PathResult late = path(report, "3.15.3 -> 3.16.0");
    assertThat(late.divergences().get(0).kind()).isEqualTo(Kind.OUT_OF_ORDER);
    assertThat(late.outOfOrder())
        .startsWith("Even with outOfOrder=true this path would fail: SCHEMA")
        .contains("- ")
        .contains("+ ")
        .contains("pulp_labels text")
        .contains("retain_versions integer");
  }
}
