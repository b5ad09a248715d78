package io.upshift.rollback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import io.upshift.backup.BackupManifest;
import io.upshift.backup.BackupService;
import io.upshift.backup.VolumeArchives;
import io.upshift.compose.DockerClients;
import io.upshift.platform.PlatformOperations;
import io.upshift.platform.ReleaseRepository;
import io.upshift.support.ApiWriter;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The data side of a version-2 rollback on real containers: the demo platform's images described by
 * a version-2 descriptor with two databases on one server (the demo's {@code app} and an {@code
 * audit} database created with psql), a named volume saved after the stop, a bind-mounted directory
 * saved live, a skipped volume and a configuration directory. Backup, then data changes in both
 * databases and both volumes, the stop and its restore point, a "failed release" that writes to
 * everything, and the rollback: both databases and both volumes come back to the one restore point,
 * the failed states are kept and reported, and every write the API acknowledged is present or
 * listed by the report. The demo's API writer runs the whole time.
 */
@SpringBootTest(
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/data-rollback",
      // Under load the first deployment to the embedded engine can take longer than 10 s.
      "camunda.client.request-timeout=PT2M",
      TestUsers.PROFILE
    })
class DataRollbackIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLATFORM = "datarb";

  static Deployment platform;
  static ReleaseRepository releases;
  static String uploadsVolume;

  @Autowired BackupService backups;
  @Autowired RollbackService rollback;
  @Autowired PlatformOperations platforms;

  @DynamicPropertySource
  static void demoPlatform(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-data-rollback-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    platform = new Deployment(releases, PLATFORM, scratch.resolve("platform")).checkout("1.0.0");
    assertThat(platform.bringUp()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    platform.register(registry, PLATFORM, bare);

    // The second database, on the same server, and the volumes: what a v2 platform has.
    psql("postgres", "CREATE DATABASE audit");
    psql(
        "audit",
        "CREATE TABLE events (id bigserial PRIMARY KEY, note text NOT NULL);"
            + " INSERT INTO events (note) SELECT 'seed ' || g FROM generate_series(1, 50) g");
    uploadsVolume = platform.project + "_uploads";
    DockerClients.local()
        .createVolumeCmd()
        .withName(uploadsVolume)
        .withLabels(
            Map.of(
                "com.docker.compose.project",
                platform.project,
                "com.docker.compose.volume",
                "uploads"))
        .exec();
    inVolume("mkdir -p /v/2026 && echo seed-a > /v/a.txt && echo seed-b > /v/2026/b.txt");
    Files.createDirectories(platform.directory.resolve("files"));
    Files.writeString(platform.directory.resolve("files/f1.txt"), "live one");
    Files.createDirectories(platform.directory.resolve("config"));
    Files.writeString(platform.directory.resolve("config/app.ini"), "[app]\nmode=1\n");
    Files.writeString(platform.directory.resolve("upshift.yaml"), descriptorV2());
  }

  @AfterAll
  static void tearDown() {
    platform.close();
    try {
      DockerClients.local().removeVolumeCmd(uploadsVolume).exec();
    } catch (RuntimeException e) {
      // removed with the test's leftovers (DemoPlatform.removeLeftovers)
    }
    releases.close();
  }

  @Test
  void rollbackPutsBothDatabasesAndTheVolumesBackToOnePoint() throws Exception {
    String runId = UUID.randomUUID().toString();
    String hop = "1.1.0";
    String itemsUrl = "http://127.0.0.1:" + platform.env().require("BACKEND_PORT") + "/api/items";
    try (ApiWriter writer = new ApiWriter(itemsUrl, "datarb")) {
      awaitWrites(writer, 5);

      // The run's backup: both databases, globals once, the live directory, config; the stopped
      // volume waits for the stop, the skipped one is listed.
      long t0 = System.nanoTime();
      String backupId = "run-" + runId;
      String restorePointId;
      BackupManifest backup = backups.backup(PLATFORM, runId);
      long backupMillis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(backup.filesOf(BackupManifest.DATABASE))
          .extracting(BackupManifest.BackupFile::subject)
          .containsExactly("app", "audit");
      assertThat(backup.filesOf(BackupManifest.GLOBALS)).hasSize(1);
      assertThat(backup.filesOf(BackupManifest.VOLUME))
          .extracting(BackupManifest.BackupFile::subject)
          .containsExactly("files");
      assertThat(backup.skippedVolumes())
          .extracting(BackupManifest.SkippedVolume::volume)
          .containsExactly("db-data");
      assertThat(backup.files())
          .extracting(BackupManifest.BackupFile::name)
          .contains("config/config/app.ini", "config/.env");
      assertThat(backup.rowCounts().get("audit")).containsEntry("events", 50L);

      // Writes after the backup and before the stop: the restore point must hold them.
      psql(
          "audit",
          "INSERT INTO events (note) SELECT 'before stop ' || g FROM generate_series(1, 7) g");
      inVolume("echo before-stop > /v/c.txt && echo changed > /v/a.txt");
      Files.writeString(platform.directory.resolve("files/f2.txt"), "before stop");

      platforms.stopApplications(PLATFORM);
      Set<Long> acknowledgedAtStop = new HashSet<>(writer.acknowledged().keySet());
      long t1 = System.nanoTime();
      restorePointId = backups.restorePointAtStop(PLATFORM, runId, hop, backupId);
      long restorePointMillis = (System.nanoTime() - t1) / 1_000_000;
      assertThat(restorePointId).isEqualTo(backupId + "-stop-" + hop);
      Path pointDir = backups.verifiedBackup(PLATFORM, restorePointId);
      BackupManifest point = BackupService.readManifest(pointDir);
      assertThat(point.filesOf(BackupManifest.VOLUME))
          .extracting(BackupManifest.BackupFile::subject)
          .containsExactlyInAnyOrder("uploads", "files");
      assertThat(point.rowCounts().get("audit")).containsEntry("events", 57L);
      Map<String, VolumeArchives.Entry> uploadsAtPoint = volumeListing(pointDir, point, "uploads");
      assertThat(uploadsAtPoint).containsKeys("a.txt", "c.txt", "2026/b.txt");
      long itemsAtStop = count("app", "items");

      // The "failed release": everything writes past the restore point.
      platforms.startAndAwaitHealthy(PLATFORM);
      awaitWrites(writer, acknowledgedAtStop.size() + 10);
      psql("audit", "INSERT INTO events (note) SELECT 'failed ' || g FROM generate_series(1, 4) g");
      inVolume("echo failed > /v/d.txt && echo failed-change > /v/c.txt && rm /v/2026/b.txt");
      Files.writeString(platform.directory.resolve("files/f3.txt"), "failed release");
      Files.writeString(platform.directory.resolve("config/extra.ini"), "added by the failed one");
      platforms.stopApplications(PLATFORM);

      // The rollback, as its steps run it: files (release and configuration), then data.
      RollbackPlan plan = new RollbackPlan(true, hop, "1.0.0", restorePointId, true, true, "test");
      rollback.restoreFiles(PLATFORM, plan);
      assertThat(platform.directory.resolve("config/extra.ini")).doesNotExist();
      assertThat(platform.directory.resolve("config/app.ini")).exists();
      assertThat(Files.readString(platform.directory.resolve("upshift.yaml")))
          .contains("descriptorVersion: 2");
      long t2 = System.nanoTime();
      DataRestore restored = rollback.restoreData(PLATFORM, runId, plan);
      long restoreMillis = (System.nanoTime() - t2) / 1_000_000;
      // Repeated (a redelivered job): converges, same answer.
      assertThat(rollback.restoreData(PLATFORM, runId, plan)).isEqualTo(restored);

      String tag = runId.replace("-", "").substring(0, 8);
      assertThat(restored.databases())
          .extracting(DatabaseRestore::failedStateKeptAs)
          .containsExactly("app_failed_" + tag, "audit_failed_" + tag);
      assertThat(count("audit", "events")).isEqualTo(57);
      assertThat(count("audit_failed_" + tag, "events")).isEqualTo(61);
      assertThat(count("app", "items")).isEqualTo(itemsAtStop);
      DatabaseRestore audit = restored.databases().get(1);
      assertThat(audit.discardedRows()).isEqualTo(4);
      assertThat(audit.keysFile()).endsWith("discarded-keys-" + hop + "-audit.json");

      // Every acknowledged write: present, or listed by the report and in the failed state.
      Map<String, List<String>> keys =
          JSON.readValue(
              Path.of(restored.databases().get(0).keysFile()).toFile(),
              new TypeReference<Map<String, List<String>>>() {});
      Set<String> listed = new HashSet<>(keys.getOrDefault("items", List.of()));
      Set<Long> present = ids("app");
      Set<Long> inFailed = ids("app_failed_" + tag);
      List<Long> lost = new ArrayList<>();
      for (Long id : writer.acknowledged().keySet()) {
        if (!present.contains(id)
            && !(listed.contains(String.valueOf(id)) && inFailed.contains(id))) {
          lost.add(id);
        }
      }
      assertThat(lost).as("acknowledged writes neither restored nor listed").isEmpty();
      assertThat(present).containsAll(acknowledgedAtStop);
      assertThat(listed).isNotEmpty();

      // The volumes hold exactly the restore point; the failed state is kept and reported.
      try (DockerClient docker = DockerClients.local()) {
        String image = BackupService.helperImage(docker, platforms.installed(PLATFORM));
        var source =
            VolumeArchives.resolve(
                docker,
                platform.project,
                platform.directory,
                new io.upshift.platform.PlatformDescriptor.Volume("uploads", null, null, null));
        assertThat(VolumeArchives.listing(docker, image, PLATFORM, source))
            .isEqualTo(uploadsAtPoint);
      }
      VolumeRestore uploads =
          restored.volumes().stream()
              .filter(v -> v.volume().equals("uploads"))
              .findFirst()
              .orElseThrow();
      assertThat(uploads.added()).containsExactly("d.txt");
      assertThat(uploads.changed()).containsExactly("c.txt");
      assertThat(uploads.removed()).containsExactly("2026/b.txt");
      assertThat(Path.of(uploads.failedStateKeptAs())).exists();
      assertThat(platform.directory.resolve("files/f2.txt")).exists();
      assertThat(platform.directory.resolve("files/f3.txt")).doesNotExist();
      assertThat(restored.sentence())
          .contains("Database app:", "Database audit:", "Volume uploads", "d.txt");

      // The previous release runs again on the restored data and takes new writes.
      platforms.startAndAwaitHealthy(PLATFORM);
      int before = writer.acknowledged().size();
      awaitWrites(writer, before + 5);
      Set<Long> after = ids("app");
      writer.acknowledged().keySet().stream()
          .filter(id -> !listed.contains(String.valueOf(id)))
          .forEach(id -> assertThat(after).contains(id));

      List<String> dropped = rollback.discardFailedState(PLATFORM, restored);
      assertThat(dropped).contains("app_failed_" + tag, "audit_failed_" + tag);
      assertThat(databaseExists("audit_failed_" + tag)).isFalse();
      assertThat(Path.of(uploads.failedStateKeptAs())).doesNotExist();

      System.out.printf(
          "DataRollbackIT figures: backup %d ms (%s), restore point %d ms (%s), restore %d ms;"
              + " acknowledged %d, discarded rows %d, refused %d, longest gap %.1f s%n",
          backupMillis,
          sizes(backup),
          restorePointMillis,
          sizes(point),
          restoreMillis,
          writer.acknowledged().size(),
          restored.discarded(),
          writer.refused(),
          writer.longestGapSeconds());
    }
  }

  private static String sizes(BackupManifest m) {
    return String.join(
        ", ",
        m.files().stream()
            .filter(f -> !f.kind().equals(BackupManifest.CONFIG))
            .map(f -> f.kind() + " " + f.subject() + " " + f.bytes() + " B")
            .toList());
  }

  private static Map<String, VolumeArchives.Entry> volumeListing(
      Path dir, BackupManifest manifest, String volume) throws Exception {
    var file =
        manifest.filesOf(BackupManifest.VOLUME).stream()
            .filter(f -> f.subject().equals(volume))
            .findFirst()
            .orElseThrow();
    try (var in = Files.newInputStream(dir.resolve(file.name()))) {
      return VolumeArchives.list(in);
    }
  }

  private static void awaitWrites(ApiWriter writer, int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (writer.acknowledged().size() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(writer.acknowledged().size()).isGreaterThanOrEqualTo(atLeast);
  }

  private static Connection connect(String database) throws Exception {
    var env = platform.env();
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + env.require("DB_PORT") + "/" + database,
        env.require("POSTGRES_USER"),
        env.require("POSTGRES_PASSWORD"));
  }

  private static long count(String database, String table) throws Exception {
    try (Connection c = connect(database);
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Set<Long> ids(String database) throws Exception {
    Set<Long> ids = new HashSet<>();
    try (Connection c = connect(database);
        ResultSet rs = c.createStatement().executeQuery("SELECT id FROM items")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  private static boolean databaseExists(String name) throws Exception {
    try (Connection c = connect("postgres");
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void psql(String database, String sql) throws Exception {
    try (Connection c = connect(database)) {
      c.createStatement().execute(sql);
    }
  }

  /** A fixed shell script in a throw-away container with the uploads volume at /v. */
  private static void inVolume(String script) throws Exception {
    Process p =
        new ProcessBuilder(
                "docker",
                "run",
                "--rm",
                "--label",
                "io.upshift.test=" + platform.project,
                "-v",
                uploadsVolume + ":/v",
                "--entrypoint",
                "sh",
                "localhost:5000/upshift-demo/postgres:15",
                "-c",
                script)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
  }

  /** The demo's 1.0.0 as a version-2 descriptor, plus the audit database and three volumes. */
  private static String descriptorV2() {
    return """
        descriptorVersion: 2
        platform:
          name: upshift-demo
          version: "1.0.0"
        compose:
          file: docker-compose.yml
          envFile: .env
        services:
          - { name: worker, role: application, stopOrder: 1, healthTimeoutSeconds: 90 }
          - { name: backend, role: application, stopOrder: 2, healthTimeoutSeconds: 90 }
          - { name: db, role: database, stopOrder: 3, healthTimeoutSeconds: 120 }
        databases:
          - id: app
            service: db
            engine: postgresql
            name: { env: POSTGRES_DB }
            user: { env: POSTGRES_USER }
            password: { env: POSTGRES_PASSWORD }
            migrations: { tool: flyway, location: migrations, historyTable: flyway_schema_history }
            protectedTables: [items]
          - id: audit
            service: db
            engine: postgresql
            name: audit
            user: { env: POSTGRES_USER }
            password: { env: POSTGRES_PASSWORD }
            migrations: { tool: flyway, location: migrations-audit }
            protectedTables: [events]
        volumes:
          - name: uploads
          - path: files
            policy: live
          - name: db-data
            policy: skip
            reason: "PostgreSQL's data directory; its databases are saved with pg_dump"
        config:
          files: [config/]
        stages:
          - stop: all
          - migrate: all
          - start: all
        healthChecks:
          - name: backend-health
            url: http://127.0.0.1:${BACKEND_PORT}/health
            expectStatus: 200
            timeoutSeconds: 90
        upgrade:
          from: []
        """;
  }
}
