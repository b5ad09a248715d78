package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.migration.FlywayMigrator;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The demo platform itself, without Upshift's runbooks: every good release comes up fresh and
 * passes its descriptor's checks, every faulty release fails exactly as designed, and the by-hand
 * upgrade 1.0.0 -> 1.1.0 (plain compose + Flyway, as deploy/demo/README.md describes) keeps the
 * data. Real Docker, real PostgreSQL, real git.
 */
class DemoPlatformIT {

  static ReleaseRepository repository;

  @BeforeAll
  static void prepare(@TempDir Path mirror) {
    Path bare = DemoPlatform.repository();
    repository = ReleaseRepository.open(bare.toUri().toString(), mirror.resolve("mirror.git"));
  }

  @AfterAll
  static void close() {
    repository.close();
  }

  @Test
  void repositoryHasOneTagPerRelease() {
    assertThat(repository.releases())
        .extracting(r -> r.version().toString())
        .containsExactly(
            "1.0.0",
            "1.1.0",
            "1.1.1-fail-health",
            "1.1.1-fail-migration",
            "1.1.1-fail-smoke",
            "1.2.0",
            "2.0.0");
    repository
        .releases()
        .forEach(r -> assertThat(repository.descriptor(r).version()).isEqualTo(r.version()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0.0", "1.1.0", "1.2.0", "2.0.0"})
  void goodReleaseComesUpHealthyAndPassesItsChecks(String version, @TempDir Path dir)
      throws Exception {
    try (Deployment platform =
        new Deployment(repository, "fresh" + version, dir).checkout(version)) {
      Map<String, String> health = platform.bringUp();

      assertThat(health)
          .as("services of " + version)
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
      assertThat(platform.violatedInvariants()).isEmpty();
      assertThat(
              platform
                  .send(
                      "GET",
                      platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/version"),
                      Map.of(),
                      null)
                  .body())
          .contains(version);
    }
  }

  @Test
  void failMigrationReleaseFailsHalfwayOnThePoisonRow(@TempDir Path dir) throws Exception {
    try (Deployment platform =
        new Deployment(repository, "failmigration", dir).checkout("1.1.1-fail-migration")) {
      platform.compose("up", "-d", "db");
      platform.awaitHealthy(List.of("db"), Duration.ofMinutes(2));

      assertThatThrownBy(platform::migrate)
          .isInstanceOf(FlywayMigrator.MigrationFailedException.class)
          .hasMessageContaining("3.2");
      try (Connection c = platform.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank")) {
        Map<String, Boolean> history = new LinkedHashMap<>();
        while (rs.next()) {
          history.put(rs.getString(1), rs.getBoolean(2));
        }
        // Half-way: V3.1 changed the schema for good, V3.2 was rolled back and left no success row.
        assertThat(history).containsEntry("3.1", true).doesNotContainKey("3.2");
      }
    }
  }

  @Test
  void failHealthReleaseNeverBecomesHealthy(@TempDir Path dir) throws Exception {
    try (Deployment platform =
        new Deployment(repository, "failhealth", dir).checkout("1.1.1-fail-health")) {
      platform.compose("up", "-d", "db");
      platform.awaitHealthy(List.of("db"), Duration.ofMinutes(2));
      platform.migrate();
      platform.compose("up", "-d", "--no-deps", "backend");

      Map<String, String> health =
          platform.awaitHealthy(List.of("backend"), Duration.ofSeconds(45));

      assertThat(health.get("backend")).isNotEqualTo("healthy");
      assertThat(
              platform
                  .send(
                      "GET",
                      platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/health"),
                      Map.of(),
                      null)
                  .statusCode())
          .isEqualTo(503);
    }
  }

  @Test
  void failSmokeReleaseIsHealthyButRefusesWrites(@TempDir Path dir) throws Exception {
    try (Deployment platform =
        new Deployment(repository, "failsmoke", dir).checkout("1.1.1-fail-smoke")) {
      assertThat(platform.bringUp())
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));

      Map<String, Integer> statuses = platform.callChecks();
      Map<String, Integer> expected = platform.expectedStatuses();

      assertThat(statuses.get("backend-health")).isEqualTo(200);
      assertThat(statuses.get("create-item"))
          .isNotEqualTo(expected.get("create-item"))
          .isGreaterThanOrEqualTo(500);
    }
  }

  @Test
  void byHandUpgradeFrom100To110KeepsTheData(@TempDir Path dir) throws Exception {
    try (Deployment platform = new Deployment(repository, "byhand", dir).checkout("1.0.0")) {
      assertThat(platform.bringUp())
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      assertThat(
              platform
                  .send(
                      "POST",
                      platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
                      Map.of("Content-Type", "application/json"),
                      "{\"name\": \"written before the upgrade\", \"quantity\": 2}")
                  .statusCode())
          .isEqualTo(201);
      Map<String, Long> before = platform.rowCounts();

      // deploy/demo/README.md: stop the applications, check out 1.1.0, add the new variable,
      // migrate, start.
      platform.compose("stop", "worker", "backend");
      platform.checkout("1.1.0");
      Map<String, String> env = new LinkedHashMap<>(platform.env().values());
      env.putIfAbsent("API_PAGE_SIZE", "50");
      platform.writeEnv(env);
      FlywayMigrator.Outcome outcome = platform.migrate();
      platform.compose("up", "-d");

      assertThat(outcome.applied()).anySatisfy(v -> assertThat(v).startsWith("3 "));
      assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofMinutes(2)))
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
      assertThat(platform.violatedInvariants()).isEmpty();
      Map<String, Long> after = platform.rowCounts();
      before.forEach(
          (table, count) -> assertThat(after.get(table)).as(table).isGreaterThanOrEqualTo(count));
      try (Connection c = platform.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM items WHERE name = 'written before the upgrade'")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
    }
  }
}
