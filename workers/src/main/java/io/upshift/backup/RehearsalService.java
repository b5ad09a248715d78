package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.upshift.compose.DockerClients;
import io.upshift.migration.CommandMigrator;
import io.upshift.migration.ComposeServiceSpec;
import io.upshift.migration.DatabaseMigrator;
import io.upshift.plan.UpgradePlan;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformOperations;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.StepFailure;
import io.upshift.storage.FileTrees;
import io.upshift.verify.PlatformVerification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Proves a backup restores and the upgrade's migrations run on the platform's real data, before any
 * downtime: builds a scratch database server per database service from the platform's own service
 * definition ({@link ScratchServer}), restores every database's dump into it, compares per-table
 * row counts with the live databases, then applies each hop's migrations in order to the copies,
 * with each database's own tool (Flyway, or the platform's command in a one-off container of the
 * hop's image on the scratch network), and times them. Every scratch container, one-off container
 * and the scratch network are removed afterwards, also when the rehearsal fails.
 */
@Service
public class RehearsalService {

  static final String SCRATCH_LABEL = "io.upshift.rehearsal";
  private static final Logger log = LoggerFactory.getLogger(RehearsalService.class);

  private final PlatformRegistry registry;
  private final Path dataDir;
  private final io.upshift.metrics.UpshiftMetrics metrics;
  private final PlatformVerification verification;
  private final StagingProperties staging;

  RehearsalService(
      PlatformRegistry registry,
      @Value("${upshift.data-dir}") Path dataDir,
      io.upshift.metrics.UpshiftMetrics metrics,
      PlatformVerification verification,
      StagingProperties staging) {
    this.metrics = metrics;
    this.verification = verification;
    this.staging = staging;
    this.registry = registry;
    this.dataDir = dataDir;
  }

  /**
   * @param counts per table: rows in the live database now, rows restored from the backup
   * @param migrations per hop: versions applied and seconds taken
   * @param migrationSeconds the migrations of the downtime (the estimate counts only these)
   * @param preDeploymentSeconds the pre-deployment (expand) migrations, run before the stop
   * @param postDeploymentSeconds the post-deployment (contract) migrations, run after the start
   * @param staging {@code status} (passed / skipped) and per hop what {@link Staging} found
   * @param estimatedDowntimeSeconds the sum over the hops, to a tenth of a second
   * @param downtimeEstimate per hop: stop, restore point, migrations, start and their sum, seconds
   */
  public record Rehearsal(
      Map<String, long[]> counts,
      List<String> migrations,
      double migrationSeconds,
      double estimatedDowntimeSeconds,
      long rowsWrittenSinceBackup,
      List<Map<String, Object>> databases,
      Map<String, Object> staging,
      List<Map<String, Object>> downtimeEstimate,
      double preDeploymentSeconds,
      double postDeploymentSeconds) {}

  /** The copy did not restore faithfully or a migration failed on it; nothing was touched. */
  public static class RehearsalFailedException extends RuntimeException {
    RehearsalFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public Rehearsal rehearse(String platform, String runId, UpgradePlan plan)
      throws IOException, InterruptedException {
    return rehearse(platform, runId, plan, true);
  }

  /**
   * @param stage whether to stage each hop's release on the copy (the run variable {@code
   *     staging}); also off when {@code upshift.staging.enabled} is false
   */
  public Rehearsal rehearse(String platform, String runId, UpgradePlan plan, boolean stage)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    boolean passed = false;
    try {
      Rehearsal rehearsal = rehearseOnce(platform, runId, plan, stage && staging.enabled());
      passed = true;
      return rehearsal;
    } finally {
      metrics.restoreRehearsed(
          platform, passed, java.time.Duration.ofNanos(System.nanoTime() - started));
    }
  }

  private Rehearsal rehearseOnce(String platform, String runId, UpgradePlan plan, boolean stage)
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
    PlatformDescriptor descriptor = installed.descriptor();
    List<PlatformDescriptor.Database> databases = descriptor.databases();
    if (databases.isEmpty()) {
      throw new StepFailure(platform + " declares no database; nothing to rehearse");
    }
    boolean several = databases.size() > 1;
    Map<String, ScratchServer> servers = new LinkedHashMap<>();
    try (DockerClient docker = DockerClients.local()) {
      ScratchServer.removeAll(docker, runId, List.of(SCRATCH_LABEL));
      try {
        String network = ScratchServer.network(docker, runId, SCRATCH_LABEL);
        Map<String, long[]> counts = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> evidence = new ArrayList<>();
        Map<String, Map<String, Object>> evidenceById = new LinkedHashMap<>();
        long written = 0;
        for (PlatformDescriptor.Database db : databases) {
          long serverStarted = System.nanoTime();
          boolean newServer = !servers.containsKey(db.service());
          ScratchServer server =
              servers.computeIfAbsent(
                  db.service(), service -> startServer(docker, installed, db, network, runId));
          long serverMillis = newServer ? (System.nanoTime() - serverStarted) / 1_000_000 : 0;
          long restoreStarted = System.nanoTime();
          String name = db.resolveName(installed.env());
          server.createDatabase(name);
          BackupManifest.BackupFile dump = dumpOf(manifest, db, name);
          ContainerExec.Result restored = server.restore(backupDir.resolve(dump.name()), name, 60);
          if (restored.exitCode() != 0) {
            throw new RehearsalFailedException(
                "pg_restore of "
                    + dump.name()
                    + " (backup "
                    + manifest.id()
                    + ", database "
                    + db.id()
                    + ") failed: "
                    + restored.stderr(),
                null);
          }
          long restoreMillis = (System.nanoTime() - restoreStarted) / 1_000_000;
          DatabaseEndpoints.Endpoint live = DatabaseEndpoints.resolve(installed, db, docker);
          Map<String, Long> liveCounts = rowCounts(live.jdbcUrl(), live.user(), live.password());
          Map<String, Long> copyCounts =
              rowCounts(server.jdbcUrl(name), db.resolveUser(installed.env()), live.password());
          for (String table : liveCounts.keySet()) {
            String key = several ? db.id() + "." + table : table;
            long now = liveCounts.get(table);
            Long copy = copyCounts.get(table);
            counts.put(key, new long[] {now, copy == null ? -1 : copy});
            if (copy == null) {
              problems.add(key + " is missing from the restored copy");
            } else if (copy > now) {
              problems.add(key + " has " + copy + " rows restored but " + now + " live");
            } else {
              written += now - copy;
            }
          }
          Map<String, Object> entry = new LinkedHashMap<>();
          entry.put("database", db.id());
          entry.put("dump", dump.name());
          entry.put("dumpBytes", dump.bytes());
          entry.put("restoredTables", copyCounts.size());
          entry.put("restoreMillis", restoreMillis);
          if (newServer) {
            entry.put("scratchServerReadyMillis", serverMillis);
          }
          log.info(
              "Rehearsal of run {}: scratch {} {}; {} restored from {} ({} bytes) in {} ms",
              runId,
              db.service(),
              newServer ? "ready in " + serverMillis + " ms" : "shared",
              db.id(),
              dump.name(),
              dump.bytes(),
              restoreMillis);
          entry.put("migrations", new ArrayList<Map<String, Object>>());
          evidence.add(entry);
          evidenceById.put(db.id(), entry);
        }
        if (!problems.isEmpty()) {
          throw new RehearsalFailedException(
              "The backup did not restore faithfully: " + String.join("; ", problems), null);
        }

        List<String> applied = new ArrayList<>();
        long millis = 0;
        long preMillis = 0;
        long postMillis = 0;
        List<Map<String, Object>> stagedHops = new ArrayList<>();
        List<Map<String, Object>> estimates = new ArrayList<>();
        Map<String, Long> copyCounts = new LinkedHashMap<>();
        counts.forEach((table, c) -> copyCounts.put(table, c[1]));
        Map<String, String> stagedEnv = new LinkedHashMap<>(installed.env().values());
        Staging stager =
            new Staging(
                docker,
                verification,
                network,
                runId,
                installed.registration().workingDirectory(),
                staging.startTimeout());
        PlatformDescriptor before = descriptor;
        String beforeCompose = readInstalledCompose(installed);
        Double previousStagedStop = null;
        DowntimeEstimate.RestorePoint restorePoint = DowntimeEstimate.RestorePoint.of(manifest);
        // The cutover starts each start stage with a compose process, which staging (Docker's API)
        // does not run: its fixed cost, timed once on the live project with a read-only command.
        Double composeSeconds = null;
        if (stage) {
          try {
            composeSeconds = PlatformOperations.composeRoundTrip(installed).toMillis() / 1000.0;
          } catch (RuntimeException e) {
            log.warn("Could not time a compose command on {}: {}", platform, e.getMessage());
          }
        }
        try (ReleaseRepository repository =
            ReleaseRepository.open(
                platform,
                registration,
                dataDir.resolve("repositories").resolve(platform + ".git"))) {
          for (UpgradePlan.PlannedHop hop : plan.hops()) {
            Release release = plannedRelease(repository, hop);
            PlatformDescriptor target = hopDescriptor(repository, release, descriptor);
            long hopMillis = 0;
            // Expand migrations run while the running release still serves: on the copy, run them
            // first, then prove that release still passes its own checks on the expanded schema.
            Map<String, DatabaseMigrator.Phased> expanded = new LinkedHashMap<>();
            Map<String, List<String>> expandPending = new LinkedHashMap<>();
            for (PlatformDescriptor.Database db : target.databases()) {
              ScratchServer server = servers.get(db.service());
              if (evidenceById.containsKey(db.id())
                  && server != null
                  && db.migrations() != null
                  && db.migrations().preDeploymentUpTo() != null) {
                List<String> pending = new ArrayList<>();
                expanded.put(
                    db.id(),
                    rehearseMigration(
                        docker,
                        repository,
                        release,
                        target,
                        db,
                        server,
                        installed,
                        runId,
                        hop,
                        pending,
                        true));
                expandPending.put(db.id(), pending);
              }
            }
            Double runningStop = null;
            if (stage && !expanded.isEmpty()) {
              Staging.Result running =
                  stager.stage(
                      new Staging.Release(
                          hop.from() + "-expanded",
                          hop.from(),
                          before,
                          beforeCompose,
                          new EnvFile(new LinkedHashMap<>(stagedEnv)),
                          (path, into) ->
                              repository.extract(
                                  repository
                                      .release(hop.from())
                                      .orElseThrow(
                                          () ->
                                              new StepFailure(
                                                  "Release "
                                                      + hop.from()
                                                      + " is gone from the repository")),
                                  path,
                                  into)),
                      copies(before, servers, installed),
                      copyCounts);
              Map<String, Object> shown = new LinkedHashMap<>(running.asMap());
              shown.put(
                  "stagedAfter",
                  "the pre-deployment (expand) migrations of "
                      + hop.to()
                      + ": the running release "
                      + hop.from()
                      + " must still pass its checks on the expanded schema");
              stagedHops.add(shown);
              if (!running.passed()) {
                throw new RehearsalFailedException(
                    "The pre-deployment migrations of "
                        + hop.to()
                        + " break the running release "
                        + hop.from()
                        + " on the restored copy (they must be backward compatible, they run"
                        + " while it serves): "
                        + running.failure(),
                    null);
              }
              runningStop = running.stopMillis() == null ? null : running.stopMillis() / 1000.0;
            }
            for (PlatformDescriptor.Database db : target.databases()) {
              ScratchServer server = servers.get(db.service());
              if (!evidenceById.containsKey(db.id()) || server == null) {
                applied.add(
                    hop.to()
                        + ": "
                        + db.id()
                        + " is new in this release and has no backup; not rehearsed");
                continue;
              }
              List<String> pending = new ArrayList<>();
              DatabaseMigrator.Phased phased =
                  rehearseMigration(
                      docker,
                      repository,
                      release,
                      target,
                      db,
                      server,
                      installed,
                      runId,
                      hop,
                      pending,
                      false);
              if (expanded.containsKey(db.id())) {
                // Its expand step ran above; what ran now found nothing left for that phase.
                phased =
                    new DatabaseMigrator.Phased(
                        expanded.get(db.id()).pre(), phased.downtime(), phased.post());
                pending.clear(); // listed before the expand step ran: all of the hop's
                pending.addAll(expandPending.get(db.id()));
              }
              // The cutover's order: expand before the stop, the rest of the downtime, contract
              // after the start; only the downtime's share counts towards the estimate.
              DatabaseMigrator.Outcome outcome = phased.combined();
              millis += outcome.millis();
              preMillis += phased.pre().millis();
              postMillis += phased.post().millis();
              hopMillis += outcome.millis();
              String line =
                  outcome.tool().equals("flyway")
                      ? (outcome.applied().isEmpty()
                          ? "no migrations"
                          : String.join(", ", outcome.applied()))
                      : String.join(" ", db.migrations().command())
                          + " exited "
                          + outcome.exitCode();
              applied.add(
                  hop.to()
                      + ": "
                      + (several ? db.id() + ": " : "")
                      + line
                      + " in "
                      + outcome.millis()
                      + " ms");
              @SuppressWarnings("unchecked")
              List<Map<String, Object>> hops =
                  (List<Map<String, Object>>) evidenceById.get(db.id()).get("migrations");
              Map<String, Object> step = new LinkedHashMap<>(outcome.asMap());
              step.remove("database");
              step.put("hop", hop.to());
              step.put("pending", pending);
              step.put("phases", phased.asMap());
              hops.add(step);
            }
            String composeText =
                repository
                    .read(release, target.compose().file())
                    .orElseThrow(
                        () ->
                            new StepFailure(
                                hop.to() + " has no compose file " + target.compose().file()));
            io.upshift.config.EnvMigration.apply(target, stagedEnv);
            EnvFile hopEnv = new EnvFile(new LinkedHashMap<>(stagedEnv));
            Staging.Result staged = null;
            Double stagedStop = null;
            if (stage) {
              staged =
                  stager.stage(
                      new Staging.Release(
                          hop.to(),
                          hop.from(),
                          target,
                          composeText,
                          hopEnv,
                          (path, into) -> repository.extract(release, path, into)),
                      copies(target, servers, installed),
                      copyCounts);
              stagedHops.add(staged.asMap());
              if (!staged.passed()) {
                throw new RehearsalFailedException(
                    "Staging of "
                        + hop.to()
                        + " failed on the restored copy, before any downtime: "
                        + staged.failure(),
                    null);
              }
              stagedStop = staged.stopMillis() == null ? null : staged.stopMillis() / 1000.0;
            }
            double stopBound =
                PlatformOperations.stopBound(
                            before, beforeCompose, before.compose().file(), installed.env())
                        .toMillis()
                    / 1000.0;
            if (runningStop != null) {
              previousStagedStop = runningStop;
            }
            estimates.add(
                DowntimeEstimate.hop(
                    hop.to(),
                    DowntimeEstimate.Stop.of(
                        hop.from(), hop.to(), previousStagedStop, stagedStop, stopBound),
                    restorePoint,
                    hopMillis / 1000.0,
                    staged,
                    composeSeconds,
                    PlatformOperations.startStages(target).size()));
            previousStagedStop = stagedStop;
            before = target;
            beforeCompose = composeText;
          }
        }
        double estimate = DowntimeEstimate.total(estimates);
        Map<String, Object> stagingEvidence = new LinkedHashMap<>();
        stagingEvidence.put("status", stage ? "passed" : "skipped");
        if (!stage) {
          stagingEvidence.put(
              "reason",
              staging.enabled()
                  ? "the run variable staging is false"
                  : "upshift.staging.enabled is false");
        }
        stagingEvidence.put("hops", stagedHops);
        log.info(
            "Rehearsal of run {} for {}: {} databases, {} tables restored, migrations {} s,"
                + " estimated downtime {} s",
            runId,
            platform,
            databases.size(),
            counts.size(),
            millis / 1000.0,
            estimate);
        return new Rehearsal(
            counts,
            applied,
            millis / 1000.0,
            estimate,
            written,
            evidence,
            stagingEvidence,
            estimates,
            preMillis / 1000.0,
            postMillis / 1000.0);
      } finally {
        servers.values().forEach(ScratchServer::close);
        ScratchServer.removeAll(docker, runId, List.of(SCRATCH_LABEL));
      }
    }
  }

  private ScratchServer startServer(
      DockerClient docker,
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      String network,
      String runId) {
    PlatformDescriptor.Compose compose = installed.descriptor().compose();
    ComposeServiceSpec service =
        ComposeServiceSpec.read(
            installed.registration().workingDirectory(),
            compose.file(),
            db.service(),
            installed.env(),
            compose.envFile() == null ? ".env" : compose.envFile());
    // The very image the platform runs (by id) when its container is there, else the compose one.
    String image;
    try {
      image = databaseImage(docker, installed.registration().composeProject(), db.service());
    } catch (StepFailure e) {
      image = service.image();
    }
    ScratchServer server =
        ScratchServer.start(
            docker,
            service,
            image,
            network,
            ("upshift-rehearsal-" + runId + "-" + db.service()).replaceAll("[^a-zA-Z0-9_.-]", "-"),
            Map.of(SCRATCH_LABEL, runId),
            containerPort(db, installed),
            db.resolveUser(installed.env()),
            db.resolvePassword(installed.env()));
    try {
      server.awaitReady();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while the scratch server started", e);
    }
    return server;
  }

  /** The compose file of the installed release (for its stop grace periods), or null. */
  private static String readInstalledCompose(InstalledPlatform installed) throws IOException {
    Path file =
        installed
            .registration()
            .workingDirectory()
            .resolve(installed.descriptor().compose().file());
    return Files.exists(file) ? Files.readString(file) : null;
  }

  /** The restored copies of a release's databases, by id (a database new in it has none). */
  private static Map<String, DatabaseEndpoints.Endpoint> copies(
      PlatformDescriptor target, Map<String, ScratchServer> servers, InstalledPlatform installed) {
    Map<String, DatabaseEndpoints.Endpoint> copies = new LinkedHashMap<>();
    for (PlatformDescriptor.Database db : target.databases()) {
      ScratchServer server = servers.get(db.service());
      if (server == null) {
        continue;
      }
      String name = db.resolveName(installed.env());
      copies.put(
          db.id(),
          new DatabaseEndpoints.Endpoint(
              db.id(),
              server.jdbcUrl(name),
              server.address(),
              server.port,
              name,
              db.resolveUser(installed.env()),
              db.resolvePassword(installed.env())));
    }
    return copies;
  }

  /** The port the database listens on inside its container. */
  static int containerPort(PlatformDescriptor.Database db, InstalledPlatform installed) {
    return db.publishedOnHost() ? 5432 : db.resolvePort(installed.env());
  }

  private DatabaseMigrator.Phased rehearseMigration(
      DockerClient docker,
      ReleaseRepository repository,
      Release release,
      PlatformDescriptor target,
      PlatformDescriptor.Database db,
      ScratchServer server,
      InstalledPlatform installed,
      String runId,
      UpgradePlan.PlannedHop hop,
      List<String> pending,
      boolean expandOnly)
      throws IOException, InterruptedException {
    String name = db.resolveName(installed.env());
    String user = db.resolveUser(installed.env());
    String password = db.resolvePassword(installed.env());
    PlatformDescriptor.Migrations m = db.migrations();
    Path folder = null;
    ComposeServiceSpec service = null;
    CommandMigrator.Placeholders placeholders = null;
    try {
      if (m != null && m.isCommand()) {
        String composeText =
            repository
                .read(release, target.compose().file())
                .orElseThrow(
                    () ->
                        new StepFailure(
                            hop.to() + " has no compose file " + target.compose().file()));
        service =
            ComposeServiceSpec.of(
                composeText,
                target.compose().file() + " at " + hop.to(),
                m.service(),
                installed.env(),
                installed.registration().workingDirectory(),
                target.compose().envFile() == null ? ".env" : target.compose().envFile());
        placeholders =
            new CommandMigrator.Placeholders(server.alias, server.port, name, user, password);
      } else {
        folder = Files.createTempDirectory("upshift-rehearsal-migrations");
        repository.extract(release, m == null ? "migrations" : m.location(), folder);
      }
      DatabaseMigrator.Target scratchTarget =
          new DatabaseMigrator.Target(
              db,
              server.jdbcUrl(name),
              user,
              password,
              folder,
              service,
              server.network,
              placeholders,
              ("upshift-rehearsal-" + runId + "-" + db.id() + "-" + hop.to())
                  .replaceAll("[^a-zA-Z0-9_.-]", "-"),
              Map.of(SCRATCH_LABEL, runId));
      // What the hop has to apply, for the evidence: Flyway's pending list or the statusCommand.
      pending.addAll(DatabaseMigrator.pending(docker, scratchTarget));
      if (expandOnly) {
        DatabaseMigrator.Outcome none =
            new DatabaseMigrator.Outcome(db.id(), "flyway", List.of(), null, 0, null, null);
        return new DatabaseMigrator.Phased(
            DatabaseMigrator.migrate(docker, scratchTarget, DatabaseMigrator.Phase.PRE_DEPLOYMENT),
            none,
            none);
      }
      return DatabaseMigrator.migrateInPhases(docker, scratchTarget);
    } catch (DatabaseMigrator.MigrationFailedException | CommandMigrator.TimeoutException e) {
      throw new RehearsalFailedException(
          "Rehearsal of "
              + hop.to()
              + " failed on the restored copy, before any downtime: "
              + e.getMessage(),
          e);
    } finally {
      if (folder != null) {
        FileTrees.deleteRecursively(folder);
      }
    }
  }

  /**
   * The descriptor of a hop's release: the operator's descriptor folder's or the tag's ({@link
   * ReleaseRepository#descriptor}); a release described by neither is described by the installed
   * one. (Staging checks the release against its own smoke tests, e.g. the version it reports.)
   */
  private static PlatformDescriptor hopDescriptor(
      ReleaseRepository repository, Release release, PlatformDescriptor installed) {
    try {
      return repository.descriptor(release);
    } catch (DescriptorException e) {
      if (repository.read(release, "upshift.yaml").isEmpty()) {
        return installed;
      }
      throw e;
    }
  }

  /**
   * The dump of one database in a backup: {@code <id>.dump}, {@code <name>.dump}, or the only
   * database dump when the platform has one database.
   */
  static BackupManifest.BackupFile dumpOf(
      BackupManifest manifest, PlatformDescriptor.Database db, String name) {
    List<BackupManifest.BackupFile> dumps =
        manifest.files().stream().filter(f -> f.kind().equals("database")).toList();
    for (String candidate : List.of(db.id() + ".dump", name + ".dump")) {
      for (BackupManifest.BackupFile f : dumps) {
        if (f.name().equals(candidate) || f.name().endsWith("/" + candidate)) {
          return f;
        }
      }
    }
    if (dumps.size() == 1) {
      return dumps.get(0);
    }
    throw new StepFailure(
        "Backup "
            + manifest.id()
            + " has no dump of database "
            + db.id()
            + " ("
            + name
            + "); its dumps: "
            + dumps.stream().map(BackupManifest.BackupFile::name).toList());
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
