package io.upshift.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.DockerClients;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformConnections;
import io.upshift.support.StorePlatform;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tool: command} on real containers: the platform's own migration tool runs in a one-off
 * container of the service's image (as the compose file and .env give it) on the platform's
 * network, against a database reached without any published port; exit code, output tail and
 * duration are recorded, the password never appears in the evidence, a failure or a hang is
 * reported and its container removed, and requiredSchemaVersion is enforced.
 */
class CommandMigrationIT {

  @TempDir static Path directory;
  static StorePlatform platform;

  @BeforeAll
  static void start() throws Exception {
    platform = new StorePlatform(directory, "cmdmigrate").start();
  }

  @AfterAll
  static void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void theCommandRunsInAOneOffContainerOfTheServiceImageOnThePlatformNetwork() throws Exception {
    InstalledPlatform installed =
        platform.installed(
            StorePlatform.descriptor(StorePlatform.migrationScript("2", ""), "2", 120));

    List<DatabaseMigrator.Outcome> outcomes =
        new PlatformMigrations().migrate(installed, "it-cmd-1", List.of());

    assertThat(outcomes).hasSize(1);
    DatabaseMigrator.Outcome files = outcomes.get(0);
    System.out.println("command migration of files: " + files.summary());
    assertThat(files.database()).isEqualTo("files");
    assertThat(files.tool()).isEqualTo("command");
    assertThat(files.exitCode()).isZero();
    assertThat(files.schemaVersion()).isEqualTo("2");
    assertThat(files.millis()).isPositive();
    // reached by the database service's name on the platform network; the service's own
    // environment from the compose file came along; the password is blanked out
    assertThat(files.outputTail())
        .contains("reached db:5432/files")
        .contains("release 1.0.0")
        .contains("postgres:***@db")
        .doesNotContain(StorePlatform.PASSWORD);
    assertThat(tables()).contains("notes", "tool_version");

    // A re-delivered job runs the tool again: it is idempotent, nothing is applied twice.
    DatabaseMigrator.Outcome again =
        new PlatformMigrations().migrate(installed, "it-cmd-1", List.of()).get(0);
    assertThat(again.exitCode()).isZero();
    assertThat(count("SELECT count(*) FROM tool_version")).isEqualTo(1);
    assertThat(leftovers("it-cmd-1")).isEmpty();
  }

  @Test
  void aFailingCommandAHangingOneAndAShortSchemaAreReportedAndCleanedUp() throws Exception {
    InstalledPlatform failing =
        platform.installed(
            StorePlatform.descriptor(
                "print('checking revisions'); import sys; print('boom: revision 7 missing');"
                    + " sys.exit(3)",
                "2",
                120));
    assertThatThrownBy(() -> new PlatformMigrations().migrate(failing, "it-cmd-2", List.of()))
        .isInstanceOf(DatabaseMigrator.MigrationFailedException.class)
        .hasMessageContaining("databases[files]: python3 -c")
        .hasMessageContaining("exited 3")
        .hasMessageContaining("boom: revision 7 missing");

    InstalledPlatform hanging =
        platform.installed(
            StorePlatform.descriptor("import time; print('waiting'); time.sleep(300)", "2", 3));
    long started = System.nanoTime();
    assertThatThrownBy(() -> new PlatformMigrations().migrate(hanging, "it-cmd-2", List.of()))
        .isInstanceOf(CommandMigrator.TimeoutException.class)
        .hasMessageContaining("did not finish within 3 s")
        .hasMessageContaining("killed and removed");
    assertThat(System.nanoTime() - started).isLessThan(120_000_000_000L);

    InstalledPlatform shortOfTheRequiredVersion =
        platform.installed(
            StorePlatform.descriptor(StorePlatform.migrationScript("2", ""), "3", 120));
    assertThatThrownBy(
            () ->
                new PlatformMigrations().migrate(shortOfTheRequiredVersion, "it-cmd-2", List.of()))
        .isInstanceOf(DatabaseMigrator.MigrationFailedException.class)
        .hasMessageContaining("databases[files] is at schema version 2 after migrating")
        .hasMessageContaining("requires 3");

    assertThat(leftovers("it-cmd-2")).isEmpty();
  }

  static List<String> leftovers(String runId) throws Exception {
    try (DockerClient docker = DockerClients.local()) {
      return docker
          .listContainersCmd()
          .withShowAll(true)
          .withLabelFilter(Map.of(CommandMigrator.LABEL, runId))
          .exec()
          .stream()
          .map(c -> c.getId())
          .toList();
    }
  }

  static List<String> tables() throws Exception {
    try (Connection c = connect();
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
      java.util.ArrayList<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      return names;
    }
  }

  static long count(String sql) throws Exception {
    try (Connection c = connect();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static Connection connect() throws Exception {
    InstalledPlatform installed =
        platform.installed(
            StorePlatform.descriptor(StorePlatform.migrationScript("2", ""), "2", 120));
    try (DockerClient docker = DockerClients.local()) {
      var endpoint = DatabaseEndpoints.resolve(installed, installed.database(), docker);
      return PlatformConnections.open(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
    }
  }
}
