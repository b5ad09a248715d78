package io.upshift.rollback;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.github.dockerjava.api.DockerClient;
import io.upshift.backup.BackupManifest;
import io.upshift.backup.BackupService;
import io.upshift.backup.ContainerExec;
import io.upshift.backup.RehearsalService;
import io.upshift.backup.VolumeArchives;
import io.upshift.compose.DockerClients;
import io.upshift.metrics.UpshiftMetrics;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformConnections;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog.Action;
import io.upshift.rollback.CutoverLog.HopLog;
import io.upshift.run.StepFailure;
import io.upshift.storage.FileTrees;
import io.upshift.verify.PlatformVerification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Undoes the unfinished hop of a failed cutover, exactly what it did and in reverse (a saga over
 * {@link CutoverLog}): stop the failed release; put back the release files and configuration if the
 * hop switched them; restore the database if the hop's migrations started; re-tag the images that
 * ran by digest, start the previous release and check its health. Hops that finished stay.
 *
 * <p>The database is never dropped to make room for the restore: the restore point goes into a new
 * database, is checked against the row counts at the stop, and is swapped in by rename; the failed
 * state stays under another name, with what it holds beyond the restore point reported, until a
 * person decides to drop it. Every step converges when repeated (a redelivered job).
 */
@Service
public class RollbackService {

  private static final Logger log = LoggerFactory.getLogger(RollbackService.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Keys of discarded rows listed per table; the count is always complete. */
  private static final int LISTED_KEYS = 20;

  /** Tables larger than this are compared by count only (keys would not fit in memory). */
  private static final long COMPARED_ROWS_LIMIT = 2_000_000;

  private final CutoverLog cutover;
  private final BackupService backups;
  private final PlatformOperations platforms;
  private final PlatformVerification verification;
  private final UpshiftMetrics metrics;
  private final Path runs;

  RollbackService(
      CutoverLog cutover,
      BackupService backups,
      PlatformOperations platforms,
      PlatformVerification verification,
      UpshiftMetrics metrics,
      @Value("${upshift.data-dir}") Path dataDir) {
    this.cutover = cutover;
    this.backups = backups;
    this.platforms = platforms;
    this.verification = verification;
    this.metrics = metrics;
    this.runs = dataDir.resolve("runs");
  }

  /** What the failed hop changed, from the cutover log: the plan of the undo. */
  public RollbackPlan plan(String runId) {
    return plan(null, runId);
  }

  /** The plan, naming the databases and volumes the restore point holds. */
  public RollbackPlan plan(String platform, String runId) {
    HopLog hop = cutover.unfinishedHop(runId).orElse(null);
    if (hop == null) {
      String at =
          cutover
              .lastFinishedHop(runId)
              .map(h -> "; the platform keeps running " + h.detail(Action.DONE) + ", verified")
              .orElse("; the platform keeps running the release it had");
      return new RollbackPlan(
          false, null, null, null, false, false, "The failing hop changed nothing" + at);
    }
    boolean files = hop.did(Action.CHECKOUT) || hop.did(Action.CONFIG);
    boolean database = hop.did(Action.MIGRATE);
    String previous = hop.detail(Action.STOP);
    String restorePoint = hop.detail(Action.RESTORE_POINT);
    if (database && restorePoint == null) {
      throw new StepFailure(
          "Hop "
              + hop.hop()
              + " started migrations without a recorded restore point; restore by hand"
              + " (docs/operations.md, \"Restoring by hand\")");
    }
    List<String> undo = new ArrayList<>();
    undo.add("stop " + hop.hop());
    if (files) {
      undo.add("put back the files and configuration of " + previous);
    }
    if (database) {
      undo.add("restore " + dataOf(platform, restorePoint) + " from " + restorePoint);
    }
    undo.add("start " + previous + " and check its health");
    return new RollbackPlan(
        true,
        hop.hop(),
        previous,
        restorePoint,
        files,
        database,
        "Hop "
            + hop.hop()
            + " stopped "
            + previous
            + (database ? " and started migrations" : files ? " and switched files" : "")
            + "; undo: "
            + String.join(", then ", undo));
  }

  /**
   * What the restore point of a hop holds: "the database" (version 1), or its databases and volumes
   * by name, read from its manifest.
   */
  private String dataOf(String platform, String restorePoint) {
    if (platform == null) {
      return "the database";
    }
    try {
      BackupManifest manifest =
          BackupService.readManifest(backups.backupDirectory(platform, restorePoint));
      if (manifest.files().stream().allMatch(f -> f.subject() == null)) {
        return "the database";
      }
      List<String> dbs =
          manifest.filesOf(BackupManifest.DATABASE).stream().map(f -> f.subject()).toList();
      List<String> volumes =
          manifest.filesOf(BackupManifest.VOLUME).stream().map(f -> f.subject()).toList();
      if (volumes.isEmpty() && dbs.equals(List.of(PlatformDescriptor.V1_DATABASE_ID))) {
        return "the database";
      }
      return (dbs.size() == 1 ? "database " : "databases ")
          + String.join(", ", dbs)
          + (volumes.isEmpty()
              ? ""
              : (volumes.size() == 1 ? " and volume " : " and volumes ")
                  + String.join(", ", volumes));
    } catch (IOException | RuntimeException e) {
      return "the data";
    }
  }

  /** Stops the applications of whatever release is there now (the failed one). */
  public List<String> stopFailedRelease(String platform) {
    return platforms.stopApplications(platform);
  }

  /**
   * The release and configuration from before the hop: checks out the previous release and copies
   * the configuration files the restore point saved (.env, compose file, descriptor).
   */
  public List<String> restoreFiles(String platform, RollbackPlan plan) throws IOException {
    Path restorePoint = backupDir(platform, plan);
    BackupManifest manifest = BackupService.readManifest(restorePoint);
    platforms.checkout(platform, plan.previousVersion());
    Path workDir = platforms.registration(platform).workingDirectory().normalize();
    List<String> restored = new ArrayList<>();
    restored.add("release " + plan.previousVersion());
    Set<Path> saved = new HashSet<>();
    for (BackupManifest.BackupFile file : manifest.files()) {
      if (file.kind().equals(BackupManifest.CONFIG)) {
        String name = file.name().substring("config/".length());
        Path target = workDir.resolve(name).normalize();
        if (!target.startsWith(workDir)) {
          continue;
        }
        Path source = restorePoint.resolve(file.name());
        if (!BackupService.sha256(source).equals(file.sha256())) {
          throw new StepFailure(
              file.name()
                  + " of restore point "
                  + plan.restorePoint()
                  + " does not match its manifest");
        }
        Files.createDirectories(target.getParent());
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        saved.add(target);
        restored.add(name);
      }
    }
    // Configuration directories hold exactly what they held at the stop: files the failed
    // release added there go (they are not the previous release's configuration).
    for (String declared : platforms.installed(platform).descriptor().configFiles()) {
      Path dir = workDir.resolve(declared).normalize();
      if (!dir.startsWith(workDir) || !Files.isDirectory(dir)) {
        continue;
      }
      try (var walk = Files.walk(dir)) {
        for (Path extra :
            walk.filter(Files::isRegularFile).filter(f -> !saved.contains(f)).toList()) {
          Files.delete(extra);
          restored.add("removed " + workDir.relativize(extra));
        }
      }
    }
    return restored;
  }

  /**
   * Puts every database and every saved volume back to the hop's one restore point, so they stay
   * consistent with each other. Databases first, all of them restored and checked before any is
   * swapped in (a restore that fails leaves every failed state untouched), then the volumes.
   */
  public DataRestore restoreData(String platform, String runId, RollbackPlan plan)
      throws IOException, InterruptedException {
    Path dir = backups.backupDirectory(platform, plan.restorePoint());
    BackupManifest manifest = BackupService.readManifest(dir);
    InstalledPlatform installed = platforms.installed(platform);
    List<DatabaseRestore> databases = restoreDatabases(installed, runId, plan, manifest);
    List<VolumeRestore> volumes = restoreVolumes(installed, runId, plan, dir, manifest);
    return new DataRestore(plan.restorePoint(), databases, volumes);
  }

  /** The first database's restore (version 1: the only one), as before version 2. */
  public DatabaseRestore restoreDatabase(String platform, String runId, RollbackPlan plan)
      throws IOException, InterruptedException {
    return restoreData(platform, runId, plan).databases().get(0);
  }

  /**
   * Restores each database the restore point holds into a new database, checks its row counts
   * against the counts at the stop, lists what the failed state holds beyond it, moves sequences
   * past the values the failed release handed out, and swaps it in by rename. The failed state is
   * kept as {@code <db>_failed_<run>}. A missing or corrupt backup, or a restore that fails, leaves
   * every failed database untouched and fails hopelessly with what to do.
   */
  private List<DatabaseRestore> restoreDatabases(
      InstalledPlatform installed, String runId, RollbackPlan plan, BackupManifest manifest)
      throws IOException, InterruptedException {
    String platform = installed.name();
    String tag = runId.replace("-", "").substring(0, Math.min(8, runId.replace("-", "").length()));
    List<PlatformDescriptor.Database> databases = new ArrayList<>();
    for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
      if (BackupService.dumpOf(manifest, db.id()).isPresent()) {
        databases.add(db);
      } else {
        log.warn(
            "Run {}: restore point {} holds no dump of database {}; it is left as it is",
            runId,
            plan.restorePoint(),
            db.id());
      }
    }
    if (databases.isEmpty()) {
      throw new StepFailure(
          "Restore point "
              + plan.restorePoint()
              + " holds no dump of any database the platform declares; restore by hand"
              + " (docs/operations.md, \"Restoring by hand\")");
    }
    Path dir = null;
    List<Target> targets = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : databases) {
        targets.add(
            new Target(installed, db, DatabaseEndpoints.resolve(installed, db, docker), tag));
      }
      // Pass 1: every database restored into its new name and checked; nothing swapped yet.
      for (Target t : targets) {
        if (Files.exists(report(runId, plan, t))) {
          continue;
        }
        Psql psql = t.psql(docker);
        if (psql.exists(t.failed())) {
          continue; // swapped by an earlier delivery; pass 2 finishes it
        }
        if (dir == null) {
          dir = backups.verifiedBackup(platform, plan.restorePoint());
        }
        BackupManifest.BackupFile dump = BackupService.dumpOf(manifest, t.db().id()).orElseThrow();
        psql.run("DROP DATABASE IF EXISTS " + q(t.restored()) + " WITH (FORCE)");
        psql.run("CREATE DATABASE " + q(t.restored()) + " OWNER " + q(t.endpoint().user()));
        String fileName = Path.of(dump.name()).getFileName().toString();
        String remote = "/tmp/upshift-" + tag + "-" + safe(t.db().id()) + "-" + fileName;
        try {
          docker
              .copyArchiveToContainerCmd(psql.container())
              .withHostResource(dir.resolve(dump.name()).toString())
              .withRemotePath("/tmp")
              .exec();
          psql.exec(List.of("mv", "/tmp/" + fileName, remote));
          psql.exec(
              List.of(
                  "pg_restore",
                  "--exit-on-error",
                  "-U",
                  t.endpoint().user(),
                  "-d",
                  t.restored(),
                  remote));
        } catch (RuntimeException e) {
          psql.run("DROP DATABASE IF EXISTS " + q(t.restored()) + " WITH (FORCE)");
          throw new StepFailure(
              "Restoring "
                  + plan.restorePoint()
                  + " into a new database failed for "
                  + t.name()
                  + ": "
                  + e.getMessage()
                  + ". The failed state in database "
                  + t.name()
                  + " is untouched and the applications are stopped; restore by hand"
                  + " (docs/operations.md, \"Restoring by hand\").");
        } finally {
          psql.execQuietly(List.of("rm", "-f", remote));
        }
        Map<String, Long> expected = expectedCounts(runId, plan, t, manifest);
        Map<String, Long> actual =
            RehearsalService.rowCounts(
                t.url(t.restored()), t.endpoint().user(), t.endpoint().password());
        Map<String, String> mismatches = new LinkedHashMap<>();
        expected.forEach(
            (table, count) -> {
              if (!count.equals(actual.get(table))) {
                mismatches.put(table, actual.get(table) + " restored, " + count + " at the stop");
              }
            });
        if (!mismatches.isEmpty()) {
          psql.run("DROP DATABASE IF EXISTS " + q(t.restored()) + " WITH (FORCE)");
          throw new StepFailure(
              "The restored copy of "
                  + plan.restorePoint()
                  + " does not hold the rows of "
                  + t.name()
                  + " counted at the stop: "
                  + mismatches
                  + ". The failed state in database "
                  + t.name()
                  + " is untouched; restore by hand (docs/operations.md).");
        }
        log.info(
            "Run {}: {} restored into {} and checked ({} tables)",
            runId,
            t.name(),
            t.restored(),
            expected.size());
      }
      // Pass 2: compare, advance sequences, swap by rename; one report per database.
      List<DatabaseRestore> outcomes = new ArrayList<>();
      for (Target t : targets) {
        Path report = report(runId, plan, t);
        if (Files.exists(report)) {
          outcomes.add(JSON.readValue(report.toFile(), DatabaseRestore.class));
          continue;
        }
        Psql psql = t.psql(docker);
        DatabaseRestore outcome;
        if (psql.exists(t.failed())) {
          // A repeat after the swap: finish it if it was cut short, report what is there.
          if (!psql.exists(t.name()) && psql.exists(t.restored())) {
            psql.run("ALTER DATABASE " + q(t.restored()) + " RENAME TO " + q(t.name()));
          }
          outcome =
              compare(
                  t,
                  t.name(),
                  t.failed(),
                  plan.restorePoint(),
                  List.of(),
                  keysFile(runId, plan, t));
        } else {
          List<String> advanced = advanceSequences(t, t.name(), t.restored());
          outcome =
              compare(
                  t,
                  t.restored(),
                  t.name(),
                  plan.restorePoint(),
                  advanced,
                  keysFile(runId, plan, t));
          // The swap: one transaction, no connection may stay on either database.
          psql.run(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ("
                  + literal(t.name())
                  + ", "
                  + literal(t.restored())
                  + ") AND pid <> pg_backend_pid()");
          psql.run(
              "ALTER DATABASE "
                  + q(t.name())
                  + " RENAME TO "
                  + q(t.failed())
                  + "; ALTER DATABASE "
                  + q(t.restored())
                  + " RENAME TO "
                  + q(t.name()));
        }
        outcome = outcome.swapped(t.name(), t.failed());
        Files.createDirectories(report.getParent());
        Path partial = report.resolveSibling(report.getFileName() + ".partial");
        JSON.writeValue(partial.toFile(), outcome);
        Files.move(partial, report, StandardCopyOption.ATOMIC_MOVE);
        log.info(
            "Run {}: database {} of {} restored from {}; failed state kept as {}; {}",
            runId,
            t.name(),
            platform,
            plan.restorePoint(),
            t.failed(),
            outcome.sentence());
        outcomes.add(outcome);
      }
      return outcomes;
    }
  }

  /** The counts a restored copy must hold: this database's at the stop, else the manifest's. */
  private Map<String, Long> expectedCounts(
      String runId, RollbackPlan plan, Target t, BackupManifest manifest) throws IOException {
    var counts = backups.countsAtStopOf(runId, plan.hop(), t.db().id());
    if (counts.isPresent()) {
      return counts.get();
    }
    if (PlatformDescriptor.V1_DATABASE_ID.equals(t.db().id())) {
      var legacy = backups.countsAtStopOf(runId, plan.hop());
      if (legacy.isPresent()) {
        return legacy.get();
      }
    }
    return manifest.rowCounts() == null
        ? Map.of()
        : manifest.rowCounts().getOrDefault(t.db().id(), Map.of());
  }

  /**
   * Puts every volume the restore point saved back: the failed state is archived aside first and
   * compared with the restore point (what the failed release wrote), then the volume is cleared,
   * the archive extracted and the result checked against it.
   */
  private List<VolumeRestore> restoreVolumes(
      InstalledPlatform installed,
      String runId,
      RollbackPlan plan,
      Path dir,
      BackupManifest manifest)
      throws IOException, InterruptedException {
    List<BackupManifest.BackupFile> archives = manifest.filesOf(BackupManifest.VOLUME);
    List<VolumeRestore> outcomes = new ArrayList<>();
    if (archives.isEmpty()) {
      return outcomes;
    }
    String platform = installed.name();
    try (DockerClient docker = DockerClients.local()) {
      String image = BackupService.helperImage(docker, installed);
      for (BackupManifest.BackupFile archive : archives) {
        String label = archive.subject();
        Path report =
            runs.resolve(runId)
                .resolve("volume-restore-" + safe(plan.hop()) + "-" + safe(label) + ".json");
        if (Files.exists(report)) {
          outcomes.add(JSON.readValue(report.toFile(), VolumeRestore.class));
          continue;
        }
        Path file = dir.resolve(archive.name());
        if (!Files.exists(file) || !BackupService.sha256(file).equals(archive.sha256())) {
          throw new StepFailure(
              archive.name()
                  + " of restore point "
                  + plan.restorePoint()
                  + " is missing or does not match its manifest; volume "
                  + label
                  + " is untouched. Restore by hand (docs/operations.md, \"Restoring by hand\").");
        }
        PlatformDescriptor.Volume declared =
            installed.descriptor().volumes().stream()
                .filter(v -> v.label().equals(label))
                .findFirst()
                .orElse(new PlatformDescriptor.Volume(label, null, null, null));
        VolumeArchives.Source source =
            VolumeArchives.resolve(
                docker,
                installed.registration().composeProject(),
                installed.registration().workingDirectory(),
                declared);
        Map<String, VolumeArchives.Entry> point;
        try (var in = Files.newInputStream(file)) {
          point = VolumeArchives.list(in);
        }
        // The failed state, kept once: a repeat after the volume was cleared must not overwrite it.
        Path keptDir = runs.resolve(runId);
        String keptName = "failed-volume-" + safe(plan.hop()) + "-" + safe(label) + ".tar";
        Path kept = keptDir.resolve(keptName);
        if (!Files.exists(kept)) {
          Path partialDir = keptDir.resolve("partial-" + keptName);
          FileTrees.deleteRecursively(partialDir);
          VolumeArchives.save(docker, image, platform, source, partialDir, keptName);
          Files.move(partialDir.resolve(keptName), kept, StandardCopyOption.ATOMIC_MOVE);
          FileTrees.deleteRecursively(partialDir);
        }
        Map<String, VolumeArchives.Entry> failed;
        try (var in = Files.newInputStream(kept)) {
          failed = VolumeArchives.list(in);
        }
        VolumeArchives.Difference d = VolumeArchives.compare(point, failed);
        Path listFile = null;
        if (!d.added().isEmpty() || !d.changed().isEmpty() || !d.removed().isEmpty()) {
          listFile =
              runs.resolve(runId)
                  .resolve("discarded-files-" + safe(plan.hop()) + "-" + safe(label) + ".json");
          Map<String, List<String>> all = new LinkedHashMap<>();
          all.put("added", d.added());
          all.put("changed", d.changed());
          all.put("removed", d.removed());
          Files.createDirectories(listFile.getParent());
          JSON.writeValue(listFile.toFile(), all);
        }
        VolumeArchives.restore(docker, image, platform, source, file);
        VolumeRestore outcome =
            new VolumeRestore(
                label,
                plan.restorePoint(),
                point.size(),
                kept.toString(),
                d.added().size(),
                d.changed().size(),
                d.removed().size(),
                head(d.added()),
                head(d.changed()),
                head(d.removed()),
                listFile == null ? null : listFile.toString());
        Files.createDirectories(report.getParent());
        Path partial = report.resolveSibling(report.getFileName() + ".partial");
        JSON.writeValue(partial.toFile(), outcome);
        Files.move(partial, report, StandardCopyOption.ATOMIC_MOVE);
        log.info("Run {}: {}", runId, outcome.sentence());
        outcomes.add(outcome);
      }
    }
    return outcomes;
  }

  private static List<String> head(List<String> list) {
    return List.copyOf(list.subList(0, Math.min(VolumeRestore.LISTED, list.size())));
  }

  /**
   * One database to restore: its endpoint and the names of its restored copy and kept failed state.
   */
  private record Target(
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      DatabaseEndpoints.Endpoint endpoint,
      String tag) {

    String name() {
      return endpoint.name();
    }

    private String stem() {
      return name().length() > 40 ? name().substring(0, 40) : name();
    }

    String restored() {
      return stem() + "_restore_" + tag;
    }

    String failed() {
      return stem() + "_failed_" + tag;
    }

    String url(String database) {
      String url = endpoint.jdbcUrl();
      return url.substring(0, url.lastIndexOf('/') + 1) + database;
    }

    Psql psql(DockerClient docker) {
      String container =
          BackupService.runningContainer(
              docker, installed.registration().composeProject(), db.service());
      return new Psql(
          docker,
          container,
          endpoint.user(),
          endpoint.password() == null ? List.of() : List.of("PGPASSWORD=" + endpoint.password()));
    }

    /** Version 1's database keeps the file names of version 1 runs. */
    String fileSuffix() {
      return PlatformDescriptor.V1_DATABASE_ID.equals(db.id()) && db.publishedOnHost()
          ? ""
          : "-" + safe(db.id());
    }
  }

  private Path report(String runId, RollbackPlan plan, Target t) {
    return runs.resolve(runId)
        .resolve("database-restore-" + safe(plan.hop()) + t.fileSuffix() + ".json");
  }

  private Path keysFile(String runId, RollbackPlan plan, Target t) {
    return runs.resolve(runId)
        .resolve("discarded-keys-" + safe(plan.hop()) + t.fileSuffix() + ".json");
  }

  /**
   * What the failed state holds beyond the restored copy, per protected table of the database.
   * Every key is written to {@code keysFile} (table to keys); the variable carries the first
   * {@value #LISTED_KEYS}.
   */
  private DatabaseRestore compare(
      Target t,
      String restoredDb,
      String failedDb,
      String restorePoint,
      List<String> advanced,
      Path keysFile) {
    List<String> tables = t.db().protectedTables();
    List<DatabaseRestore.TableDiscard> discarded = new ArrayList<>();
    Map<String, List<String>> allKeys = new LinkedHashMap<>();
    long total = 0;
    String user = t.endpoint().user();
    String password = t.endpoint().password();
    try (Connection restored = PlatformConnections.open(t.url(restoredDb), user, password);
        Connection failed = PlatformConnections.open(t.url(failedDb), user, password)) {
      for (String table : tables == null ? List.<String>of() : tables) {
        DatabaseRestore.TableDiscard d = discardedRows(restored, failed, table);
        if (d != null && d.rows() > 0) {
          allKeys.put(table, d.keys());
          discarded.add(
              new DatabaseRestore.TableDiscard(
                  table,
                  d.rows(),
                  List.copyOf(d.keys().subList(0, Math.min(LISTED_KEYS, d.keys().size()))),
                  d.note()));
          total += d.rows();
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot compare the failed state of "
              + t.name()
              + " with the restore point: "
              + e.getMessage(),
          e);
    }
    try {
      Files.createDirectories(keysFile.getParent());
      JSON.writeValue(keysFile.toFile(), allKeys);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new DatabaseRestore(
        t.name(),
        restorePoint,
        failedDb,
        total,
        discarded,
        advanced,
        keysFile.toString(),
        t.db().id());
  }

  private static DatabaseRestore.TableDiscard discardedRows(
      Connection restored, Connection failed, String table) throws SQLException {
    if (!tableExists(failed, table)) {
      return null;
    }
    List<String> key = primaryKey(failed, table);
    long failedCount = count(failed, table);
    long restoredCount = tableExists(restored, table) ? count(restored, table) : 0;
    if (key.isEmpty() || failedCount > COMPARED_ROWS_LIMIT) {
      long extra = Math.max(0, failedCount - restoredCount);
      return new DatabaseRestore.TableDiscard(
          table,
          extra,
          List.of(),
          key.isEmpty()
              ? "no primary key: compared by count only"
              : "over " + COMPARED_ROWS_LIMIT + " rows: compared by count only");
    }
    String keyExpr = keyExpression(key);
    Set<String> kept = new HashSet<>();
    if (tableExists(restored, table)) {
      try (PreparedStatement ps =
          restored.prepareStatement("SELECT " + keyExpr + " FROM " + qualified(table))) {
        ps.setFetchSize(10_000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            kept.add(rs.getString(1));
          }
        }
      }
    }
    long rows = 0;
    List<String> keys = new ArrayList<>();
    failed.setAutoCommit(false);
    try (PreparedStatement ps =
        failed.prepareStatement(
            "SELECT " + keyExpr + " FROM " + qualified(table) + " ORDER BY 1")) {
      ps.setFetchSize(10_000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String k = rs.getString(1);
          if (!kept.contains(k)) {
            rows++;
            keys.add(k);
          }
        }
      }
    } finally {
      failed.commit();
      failed.setAutoCommit(true);
    }
    return new DatabaseRestore.TableDiscard(
        table,
        rows,
        keys,
        String.join(", ", key) + " in the failed state, not in the restore point");
  }

  /**
   * Sequences in the restored copy are moved past the values the failed release handed out, so an
   * id a discarded row holds is never handed to a different write after the rollback.
   */
  private static List<String> advanceSequences(Target t, String failedDb, String restoredDb) {
    List<String> advanced = new ArrayList<>();
    String user = t.endpoint().user();
    String password = t.endpoint().password();
    try (Connection failed = PlatformConnections.open(t.url(failedDb), user, password);
        Connection restored = PlatformConnections.open(t.url(restoredDb), user, password)) {
      Map<String, Long> handedOut = sequences(failed);
      Map<String, Long> current = sequences(restored);
      for (Map.Entry<String, Long> e : handedOut.entrySet()) {
        Long now = current.get(e.getKey());
        if (now != null && e.getValue() != null && e.getValue() > now) {
          try (PreparedStatement ps = restored.prepareStatement("SELECT setval(?::regclass, ?)")) {
            ps.setString(1, e.getKey());
            ps.setLong(2, e.getValue());
            ps.execute();
          }
          advanced.add(e.getKey() + " " + now + " -> " + e.getValue());
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot align the sequences of " + t.name() + ": " + e.getMessage(), e);
    }
    return advanced;
  }

  private static Map<String, Long> sequences(Connection c) throws SQLException {
    Map<String, Long> values = new LinkedHashMap<>();
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0)"
                    + " FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")) {
      while (rs.next()) {
        values.put(rs.getString(1), rs.getLong(2));
      }
    }
    return values;
  }

  /**
   * Re-tags the images that ran before the hop by their digests under the tags of the restored
   * compose file, starts the previous release, waits until healthy and runs its health checks.
   */
  public Map<String, Object> startPrevious(String platform, RollbackPlan plan)
      throws IOException, InterruptedException {
    BackupManifest manifest = BackupService.readManifest(backupDir(platform, plan));
    InstalledPlatform installed = platforms.installed(platform);
    Path workDir = installed.registration().workingDirectory();
    List<String> retagged;
    try (DockerClient docker = DockerClients.local()) {
      retagged =
          retag(
              docker,
              manifest.runningImages(),
              workDir.resolve(installed.descriptor().compose().file()),
              installed.env());
    }
    Map<String, String> health = platforms.startAndAwaitHealthy(platform);
    boolean healthy =
        health.values().stream().allMatch(s -> s.equals("healthy") || s.equals("running"));
    if (!healthy) {
      throw new StepFailure(
          "Rolled back to "
              + plan.previousVersion()
              + ", but its services are not healthy: "
              + health
              + ". The platform needs a person now (docs/operations.md, \"Restoring by hand\").");
    }
    List<PlatformVerification.Result> checks =
        verification.healthChecks(platforms.installed(platform));
    List<String> failed =
        checks.stream().filter(r -> !r.passed()).map(r -> r.check() + ": " + r.detail()).toList();
    if (!failed.isEmpty()) {
      throw new StepFailure(
          "Rolled back to "
              + plan.previousVersion()
              + ", but its health checks fail: "
              + String.join("; ", failed)
              + ". The platform needs a person now (docs/operations.md, \"Restoring by hand\").");
    }
    metrics.rollbackPerformed(platform);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", plan.previousVersion());
    out.put("health", health);
    out.put("checks", checks.stream().map(r -> r.check() + ": " + r.detail()).toList());
    out.put("retaggedImages", retagged);
    return out;
  }

  /**
   * Drops the failed states a review decided not to keep: each {@code <db>_failed_<run>} database
   * on its server, and the archives of failed volume states. Never a database the platform uses.
   * Converges when repeated.
   */
  public List<String> discardFailedState(String platform, DataRestore restore)
      throws InterruptedException {
    InstalledPlatform installed = platforms.installed(platform);
    List<String> dropped = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      for (DatabaseRestore d : restore.databases()) {
        String failed = d.failedStateKeptAs();
        PlatformDescriptor.Database db =
            d.databaseId() == null
                ? installed.database()
                : installed.descriptor().database(d.databaseId()).orElse(installed.database());
        DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
        if (failed == null || !failed.contains("_failed_") || failed.equals(endpoint.name())) {
          throw new StepFailure("Refusing to drop '" + failed + "': not a kept failed state");
        }
        new Target(installed, db, endpoint, "")
            .psql(docker)
            .run("DROP DATABASE IF EXISTS " + q(failed) + " WITH (FORCE)");
        dropped.add(failed);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    for (VolumeRestore v : restore.volumes()) {
      Path kept = Path.of(v.failedStateKeptAs());
      if (kept.startsWith(runs) && kept.getFileName().toString().startsWith("failed-volume-")) {
        try {
          Files.deleteIfExists(kept);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        dropped.add(kept.toString());
      }
    }
    return dropped;
  }

  /** Version 1 callers: one failed database. */
  public String discardFailedState(String platform, String failedDatabase)
      throws InterruptedException {
    InstalledPlatform installed = platforms.installed(platform);
    if (failedDatabase == null || failedDatabase.equals(installed.databaseName())) {
      throw new StepFailure("Refusing to drop '" + failedDatabase + "': not a kept failed state");
    }
    DatabaseRestore one =
        new DatabaseRestore(
            installed.databaseName(),
            null,
            failedDatabase,
            0,
            List.of(),
            List.of(),
            null,
            installed.database().id());
    discardFailedState(platform, new DataRestore(null, List.of(one), List.of()));
    return failedDatabase;
  }

  /**
   * The restore point's directory. Files and images need only its manifest and the (checked)
   * configuration files; the dump is verified by the database restore, which uses it, so it is not
   * hashed again here, inside the downtime.
   */
  private Path backupDir(String platform, RollbackPlan plan) {
    if (plan.restorePoint() == null) {
      throw new StepFailure(
          "Hop " + plan.hop() + " recorded no restore point; nothing to restore files from");
    }
    return backups.backupDirectory(platform, plan.restorePoint());
  }

  @SuppressWarnings("unchecked")
  private static List<String> retag(
      DockerClient docker, List<String> running, Path composeFile, EnvFile env) throws IOException {
    Map<String, Object> compose = new YAMLMapper().readValue(composeFile.toFile(), Map.class);
    Map<String, Object> services = (Map<String, Object>) compose.getOrDefault("services", Map.of());
    List<String> retagged = new ArrayList<>();
    for (String entry : running == null ? List.<String>of() : running) {
      int eq = entry.indexOf('=');
      String service = entry.substring(0, eq);
      String pinned = entry.substring(eq + 1);
      if (!pinned.contains("@sha256:")
          || !(services.get(service) instanceof Map<?, ?> s)
          || !(s.get("image") instanceof String image)) {
        continue;
      }
      String reference = env.interpolate(image);
      int colon = reference.lastIndexOf(':');
      if (colon <= reference.lastIndexOf('/')) {
        continue;
      }
      docker
          .tagImageCmd(pinned, reference.substring(0, colon), reference.substring(colon + 1))
          .withForce()
          .exec();
      retagged.add(reference + " -> " + pinned.substring(pinned.indexOf('@') + 1));
    }
    return retagged;
  }

  private static boolean tableExists(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualified(table));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static List<String> primaryKey(Connection c, String table) throws SQLException {
    List<String> columns = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                + " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
                + " ORDER BY array_position(i.indkey, a.attnum)")) {
      ps.setString(1, qualified(table));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(rs.getString(1));
        }
      }
    }
    return columns;
  }

  private static long count(Connection c, String table) throws SQLException {
    try (ResultSet rs =
        c.createStatement().executeQuery("SELECT count(*) FROM " + qualified(table))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String keyExpression(List<String> key) {
    if (key.size() == 1) {
      return q(key.get(0)) + "::text";
    }
    return "ROW(" + String.join(", ", key.stream().map(RollbackService::q).toList()) + ")::text";
  }

  private static String qualified(String table) {
    return "public." + q(table);
  }

  static String q(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  private static String safe(String name) {
    return name == null ? "none" : name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** psql and other commands in the database container, connected to {@code postgres}. */
  private record Psql(DockerClient docker, String container, String user, List<String> env) {

    void run(String sql) throws InterruptedException {
      exec(List.of("psql", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql));
    }

    boolean exists(String database) throws InterruptedException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ContainerExec.Result result =
          ContainerExec.run(
              docker,
              container,
              List.of(
                  "psql",
                  "-U",
                  user,
                  "-d",
                  "postgres",
                  "-tAc",
                  "SELECT 1 FROM pg_database WHERE datname = " + literal(database)),
              env,
              out,
              5);
      if (result.exitCode() != 0) {
        throw new IllegalStateException("psql failed: " + result.stderr());
      }
      return out.toString(java.nio.charset.StandardCharsets.UTF_8).strip().equals("1");
    }

    void exec(List<String> command) throws InterruptedException {
      ContainerExec.Result result =
          ContainerExec.run(docker, container, command, env, new ByteArrayOutputStream(), 120);
      if (result.exitCode() != 0) {
        throw new IllegalStateException(
            String.join(" ", command.subList(0, Math.min(3, command.size())))
                + " failed (exit "
                + result.exitCode()
                + "): "
                + result.stderr());
      }
    }

    void execQuietly(List<String> command) {
      try {
        exec(command);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        log.debug("{} failed: {}", command, e.getMessage());
      }
    }
  }
}
