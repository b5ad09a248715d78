package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.DockerClients;
import io.upshift.migration.CommandMigrator;
import io.upshift.migration.ComposeServiceSpec;
import io.upshift.migration.DatabaseMigrator;
import io.upshift.migration.PlatformMigrations;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformConnections;
import io.upshift.support.StorePlatform;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rehearsal's scratch server on real containers, built from a database service definition that
 * does not use the official image's POSTGRES_DB/POSTGRES_USER: ready by pg_isready, its database
 * created with createdb, the live dump restored with matching row counts, then the platform's own
 * migration command run against the copy through {@code migrations.environment} on the scratch
 * network, leaving the live database alone; everything scratch is removed afterwards.
 */
class ScratchServerIT {

  @TempDir static Path directory;
  static StorePlatform platform;

  @BeforeAll
  static void start() throws Exception {
    platform = new StorePlatform(directory, "scratch").start();
  }

  @AfterAll
  static void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void scratchServerFromTheServiceDefinitionRestoresAndRehearsesTheCommand() throws Exception {
    String runId = "it-scratch-1";
    InstalledPlatform v2 =
        platform.installed(
            StorePlatform.descriptor(StorePlatform.migrationScript("2", ""), "2", 120));
    new PlatformMigrations().migrate(v2, "it-scratch-live", List.of());
    var db = v2.database();
    Path dump = directory.resolve("files.dump");
    try (DockerClient docker = DockerClients.local()) {
      DatabaseEndpoints.Endpoint live = DatabaseEndpoints.resolve(v2, db, docker);
      try (Connection c = PlatformConnections.open(live.jdbcUrl(), live.user(), live.password())) {
        c.createStatement()
            .execute("INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 250) g");
      }
      String container = BackupService.runningContainer(docker, platform.project, "db");
      try (OutputStream out = Files.newOutputStream(dump)) {
        var r =
            ContainerExec.run(
                docker,
                container,
                List.of("pg_dump", "-Fc", "-U", "postgres", "-d", "files"),
                out,
                2);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
      }

      // The next release's tool (schema 3) is rehearsed on the copy.
      InstalledPlatform v3 =
          platform.installed(
              StorePlatform.descriptor(StorePlatform.migrationScript("3", ""), "3", 120));
      ComposeServiceSpec service =
          ComposeServiceSpec.read(directory, "docker-compose.yml", "db", v3.env(), ".env");
      assertThat(service.environment()).doesNotContainKeys("POSTGRES_DB", "POSTGRES_USER");

      long started = System.nanoTime();
      String network = ScratchServer.network(docker, runId, RehearsalService.SCRATCH_LABEL);
      try (ScratchServer server =
          ScratchServer.start(
              docker,
              service,
              service.image(),
              network,
              "upshift-rehearsal-" + runId + "-db",
              Map.of(RehearsalService.SCRATCH_LABEL, runId),
              5432,
              "postgres",
              StorePlatform.PASSWORD)) {
        server.awaitReady();
        long ready = System.nanoTime();
        server.createDatabase("files");
        var restored = server.restore(dump, "files", 5);
        assertThat(restored.exitCode()).as(restored.stderr()).isZero();
        long restoredAt = System.nanoTime();

        Map<String, Long> liveCounts =
            RehearsalService.rowCounts(live.jdbcUrl(), live.user(), live.password());
        Map<String, Long> copyCounts =
            RehearsalService.rowCounts(server.jdbcUrl("files"), "postgres", StorePlatform.PASSWORD);
        assertThat(copyCounts).isEqualTo(liveCounts).containsEntry("notes", 250L);

        ComposeServiceSpec tools =
            ComposeServiceSpec.read(directory, "docker-compose.yml", "tools", v3.env(), ".env");
        DatabaseMigrator.Outcome outcome =
            DatabaseMigrator.migrate(
                docker,
                new DatabaseMigrator.Target(
                    v3.database(),
                    server.jdbcUrl("files"),
                    "postgres",
                    StorePlatform.PASSWORD,
                    null,
                    tools,
                    server.network,
                    new CommandMigrator.Placeholders(
                        server.alias, server.port, "files", "postgres", StorePlatform.PASSWORD),
                    "upshift-rehearsal-" + runId + "-files",
                    Map.of(RehearsalService.SCRATCH_LABEL, runId)));
        System.out.printf(
            "scratch server ready in %d ms, files restored in %d ms, command migration rehearsed:"
                + " %s%n",
            (ready - started) / 1_000_000, (restoredAt - ready) / 1_000_000, outcome.summary());
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.schemaVersion()).isEqualTo("3");
        assertThat(outcome.outputTail()).contains("reached db:5432/files");
        // the copy moved on, the live database did not
        try (Connection c =
            PlatformConnections.open(live.jdbcUrl(), live.user(), live.password())) {
          var rs = c.createStatement().executeQuery("SELECT max(version) FROM tool_version");
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(2);
        }
      } finally {
        ScratchServer.removeAll(docker, runId, List.of(RehearsalService.SCRATCH_LABEL));
      }
      assertThat(
              docker
                  .listContainersCmd()
                  .withShowAll(true)
                  .withLabelFilter(Map.of(RehearsalService.SCRATCH_LABEL, runId))
                  .exec())
          .isEmpty();
      assertThat(docker.listNetworksCmd().withNameFilter("upshift-rehearsal-" + runId).exec())
          .isEmpty();
    }
  }
}
