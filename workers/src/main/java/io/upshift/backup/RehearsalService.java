package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import io.upshift.compose.DockerClients;
import io.upshift.migration.FlywayMigrator;
import io.upshift.plan.UpgradePlan;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.StepFailure;
import io.upshift.storage.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Proves a backup restores and the upgrade's migrations run on the platform's real data, before any
 * downtime: restores the run's dump into a scratch container of the platform's own database image,
 * compares per-table row counts with the live database, then applies each hop's migrations in order
 * to the copy and times them. The scratch container is always removed.
 */
@Service
public class RehearsalService {

  /** Rough cost of stopping and starting the services once, added per hop to the estimate. */
  static final Duration RESTART_ALLOWANCE = Duration.ofSeconds(20);

  static final String SCRATCH_LABEL = "io.upshift.rehearsal";
  private static final Logger log = LoggerFactory.getLogger(RehearsalService.class);

  private final PlatformRegistry registry;
  private final Path dataDir;
  private final io.upshift.metrics.UpshiftMetrics metrics;

  RehearsalService(
      PlatformRegistry registry,
      @Value("${upshift.data-dir}") Path dataDir,
      io.upshift.metrics.UpshiftMetrics metrics) {
    this.metrics = metrics;
    this.registry = registry;
    this.dataDir = dataDir;
  }

  /**
   * @param counts per table: rows in the live database now, rows restored from the backup
   * @param migrations per hop: versions applied and seconds taken
   */
  public record Rehearsal(
      Map<String, long[]> counts,
      List<String> migrations,
      double migrationSeconds,
      long estimatedDowntimeSeconds,
      long rowsWrittenSinceBackup) {}

  /** The copy did not restore faithfully or a migration failed on it; nothing was touched. */
  public static class RehearsalFailedException extends RuntimeException {
    RehearsalFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public Rehearsal rehearse(String platform, String runId, UpgradePlan plan)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    boolean passed = false;
    try {
      Rehearsal rehearsal = rehearseOnce(platform, runId, plan);
      passed = true;
      return rehearsal;
    } finally {
      metrics.restoreRehearsed(
          platform, passed, java.time.Duration.ofNanos(System.nanoTime() - started));
    }
  }

  private Rehearsal rehearseOnce(String platform, String runId, UpgradePlan plan)
      throws IOException, InterruptedException {
    PlatformRegistry.Registration registration =
        registry
            .find(platform)
            .orElseThrow(() -> new StepFailure("Unknown platform '" + platform + "'"));
    InstalledPlatform installed = InstalledPlatform.load(platform, registration);
    Path backupDir = dataDir.resolve("backups").resolve(platform).resolve("run-" + runId);
    if (!Files.exists(backupDir.resolve("manifest.json"))) {
      throw new StepFailure(
          "No backup of run " + runId + " in " + backupDir + "; the backup step must run first");
    }
    BackupManifest manifest = BackupService.readManifest(backupDir);
    if (!BackupService.verify(backupDir, manifest)) {
      throw new StepFailure(
          "Backup "
              + manifest.id()
              + " no longer matches its manifest; refusing to rehearse with it");
    }
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    try (DockerClient docker = DockerClients.local()) {
      String image =
          databaseImage(docker, registration.composeProject(), installed.database().service());
      String scratch = startScratch(docker, image, installed, password, runId);
      try {
        int port = mappedPort(docker, scratch);
        String scratchUrl = "jdbc:postgresql://127.0.0.1:" + port + "/" + installed.databaseName();
        awaitReady(scratchUrl, installed.databaseUser(), password);
        restore(docker, scratch, backupDir, manifest, installed);

        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Long> live =
            rowCounts(installed.jdbcUrl(), installed.databaseUser(), installed.databasePassword());
        Map<String, Long> restored = rowCounts(scratchUrl, installed.databaseUser(), password);
        long written = 0;
        List<String> problems = new ArrayList<>();
        for (String table : live.keySet()) {
          long now = live.get(table);
          Long copy = restored.get(table);
          counts.put(table, new long[] {now, copy == null ? -1 : copy});
          if (copy == null) {
            problems.add(table + " is missing from the restored copy");
          } else if (copy > now) {
            problems.add(table + " has " + copy + " rows restored but " + now + " live");
          } else {
            written += now - copy;
          }
        }
        if (!problems.isEmpty()) {
          throw new RehearsalFailedException(
              "The backup did not restore faithfully: " + String.join("; ", problems), null);
        }

        List<String> applied = new ArrayList<>();
        double seconds = 0;
        try (ReleaseRepository repository =
            ReleaseRepository.open(
                platform,
                registration,
                dataDir.resolve("repositories").resolve(platform + ".git"))) {
          for (UpgradePlan.PlannedHop hop : plan.hops()) {
            Release release = plannedRelease(repository, hop);
            Path folder = Files.createTempDirectory("upshift-rehearsal-migrations");
            try {
              repository.extract(release, installed.database().migrations().location(), folder);
              FlywayMigrator.Outcome outcome =
                  FlywayMigrator.migrate(
                      new FlywayMigrator.Target(
                          scratchUrl,
                          installed.databaseUser(),
                          password,
                          folder,
                          installed.database().migrations().historyTable()));
              seconds += outcome.took().toMillis() / 1000.0;
              applied.add(
                  hop.to()
                      + ": "
                      + (outcome.applied().isEmpty()
                          ? "no migrations"
                          : String.join(", ", outcome.applied()))
                      + " in "
                      + outcome.took().toMillis()
                      + " ms");
            } catch (FlywayMigrator.MigrationFailedException e) {
              throw new RehearsalFailedException(
                  "Rehearsal of "
                      + hop.to()
                      + " failed on the restored copy, before any downtime: "
                      + e.getMessage(),
                  e);
            } finally {
              FileTrees.deleteRecursively(folder);
            }
          }
        }
        long estimate =
            Math.round(Math.ceil(seconds)) + RESTART_ALLOWANCE.toSeconds() * plan.hops().size();
        log.info(
            "Rehearsal of run {} for {}: {} tables restored, migrations {} s, estimated downtime {} s",
            runId,
            platform,
            counts.size(),
            seconds,
            estimate);
        return new Rehearsal(counts, applied, seconds, estimate, written);
      } finally {
        docker.removeContainerCmd(scratch).withForce(true).withRemoveVolumes(true).exec();
      }
    }
  }

  /** The release a hop names, refusing a tag that moved since the plan was made. */
  private static Release plannedRelease(ReleaseRepository repository, UpgradePlan.PlannedHop hop) {
    Release release =
        repository
            .release(hop.to())
            .orElseThrow(
                () ->
                    new StepFailure(
                        "Release " + hop.to() + " of the plan is gone from the repository"));
    if (!release.commit().equals(hop.commit())) {
      throw new StepFailure(
          "Release tag "
              + hop.to()
              + " moved since the plan was made ("
              + hop.commit()
              + " -> "
              + release.commit()
              + "); start the upgrade again to plan and approve anew");
    }
    return release;
  }

  private static String databaseImage(DockerClient docker, String project, String service) {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    if (containers.isEmpty()) {
      throw new StepFailure(
          "The database service '" + service + "' of '" + project + "' is not running");
    }
    return containers.get(0).getImageId();
  }

  private static String startScratch(
      DockerClient docker,
      String image,
      InstalledPlatform installed,
      String password,
      String runId) {
    // Leftovers of a crashed attempt of this run would hold the name; remove them first.
    for (Container c :
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(SCRATCH_LABEL, runId))
            .exec()) {
      docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
    }
    ExposedPort postgres = ExposedPort.tcp(5432);
    Ports ports = new Ports();
    ports.bind(postgres, Ports.Binding.bindIp("127.0.0.1"));
    String id =
        docker
            .createContainerCmd(image)
            .withName("upshift-rehearsal-" + runId)
            .withLabels(Map.of(SCRATCH_LABEL, runId))
            .withEnv(
                "POSTGRES_USER=" + installed.databaseUser(),
                "POSTGRES_PASSWORD=" + password,
                "POSTGRES_DB=" + installed.databaseName())
            .withExposedPorts(postgres)
            .withHostConfig(HostConfig.newHostConfig().withPortBindings(ports))
            .exec()
            .getId();
    docker.startContainerCmd(id).exec();
    return id;
  }

  private static int mappedPort(DockerClient docker, String container) {
    InspectContainerResponse inspect = docker.inspectContainerCmd(container).exec();
    Ports.Binding[] bindings =
        inspect.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(5432));
    return Integer.parseInt(bindings[0].getHostPortSpec());
  }

  private static void awaitReady(String url, String user, String password)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      try (Connection c =
          io.upshift.platform.PlatformConnections.open(
              url, user, password, Duration.ofSeconds(5))) {
        return;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(500);
      }
    }
    throw new IllegalStateException(
        "The scratch database did not accept connections within 2 min: " + last.getMessage(), last);
  }

  private static void restore(
      DockerClient docker,
      String scratch,
      Path backupDir,
      BackupManifest manifest,
      InstalledPlatform installed)
      throws InterruptedException {
    BackupManifest.BackupFile dump = BackupService.dumpOf(manifest);
    docker
        .copyArchiveToContainerCmd(scratch)
        .withHostResource(backupDir.resolve(dump.name()).toString())
        .withRemotePath("/tmp")
        .exec();
    ContainerExec.Result result =
        ContainerExec.run(
            docker,
            scratch,
            List.of(
                "pg_restore",
                "--exit-on-error",
                "-U",
                installed.databaseUser(),
                "-d",
                installed.databaseName(),
                "/tmp/" + dump.name()),
            new ByteArrayOutputStream(),
            60);
    if (result.exitCode() != 0) {
      throw new RehearsalFailedException(
          "pg_restore of backup " + manifest.id() + " failed: " + result.stderr(), null);
    }
  }

  /** Exact row count of every table of the public schema. */
  public static Map<String, Long> rowCounts(String url, String user, String password) {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection c = io.upshift.platform.PlatformConnections.open(url, user, password);
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        try (ResultSet rs =
            s.executeQuery("SELECT count(*) FROM public.\"" + table.replace("\"", "\"\"") + "\"")) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
      return counts;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot count rows at " + url + ": " + e.getMessage(), e);
    }
  }
}
