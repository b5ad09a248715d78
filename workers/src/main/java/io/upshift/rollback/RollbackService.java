package io.upshift.rollback;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.github.dockerjava.api.DockerClient;
import io.upshift.backup.BackupManifest;
import io.upshift.backup.BackupService;
import io.upshift.backup.ContainerExec;
import io.upshift.backup.RehearsalService;
import io.upshift.compose.DockerClients;
import io.upshift.metrics.UpshiftMetrics;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog.Action;
import io.upshift.rollback.CutoverLog.HopLog;
import io.upshift.run.StepFailure;
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
      undo.add("restore the database from " + restorePoint);
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
    Path workDir = platforms.registration(platform).workingDirectory();
    List<String> restored = new ArrayList<>();
    restored.add("release " + plan.previousVersion());
    for (BackupManifest.BackupFile file : manifest.files()) {
      if (file.kind().equals("config")) {
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
        restored.add(name);
      }
    }
    return restored;
  }

  /**
   * Restores the hop's restore point into a new database, checks its row counts against the counts
   * at the stop, lists what the failed state holds beyond it, moves sequences past the values the
   * failed release handed out, and swaps it in by rename. The failed state is kept as {@code
   * <db>_failed_<run>}. A missing or corrupt backup, or a restore that fails, leaves the failed
   * database untouched and fails hopelessly with what to do.
   */
  public DatabaseRestore restoreDatabase(String platform, String runId, RollbackPlan plan)
      throws IOException, InterruptedException {
    Path report = runs.resolve(runId).resolve("database-restore-" + safe(plan.hop()) + ".json");
    if (Files.exists(report)) {
      return JSON.readValue(report.toFile(), DatabaseRestore.class);
    }
    InstalledPlatform installed = platforms.installed(platform);
    String database = installed.databaseName();
    String user = installed.databaseUser();
    String tag = runId.replace("-", "").substring(0, Math.min(8, runId.replace("-", "").length()));
    String stem = database.length() > 40 ? database.substring(0, 40) : database;
    String restored = stem + "_restore_" + tag;
    String failed = stem + "_failed_" + tag;
    try (DockerClient docker = DockerClients.local()) {
      String container =
          BackupService.runningContainer(
              docker, installed.registration().composeProject(), installed.database().service());
      Psql psql = new Psql(docker, container, user);
      boolean swapped = psql.exists(failed);
      DatabaseRestore outcome;
      if (swapped) {
        // A repeat after the swap: finish it if it was cut short, report what is there.
        if (!psql.exists(database) && psql.exists(restored)) {
          psql.run("ALTER DATABASE " + q(restored) + " RENAME TO " + q(database));
        }
        outcome =
            compare(
                installed, database, failed, plan.restorePoint(), List.of(), keysFile(runId, plan));
      } else {
        Path dir = backups.verifiedBackup(platform, plan.restorePoint());
        BackupManifest manifest = BackupService.readManifest(dir);
        BackupManifest.BackupFile dump = BackupService.dumpOf(manifest);
        psql.run("DROP DATABASE IF EXISTS " + q(restored) + " WITH (FORCE)");
        psql.run("CREATE DATABASE " + q(restored) + " OWNER " + q(user));
        String remote = "/tmp/upshift-" + tag + "-" + dump.name();
        try {
          docker
              .copyArchiveToContainerCmd(container)
              .withHostResource(dir.resolve(dump.name()).toString())
              .withRemotePath("/tmp")
              .exec();
          psql.exec(List.of("mv", "/tmp/" + dump.name(), remote));
          psql.exec(List.of("pg_restore", "--exit-on-error", "-U", user, "-d", restored, remote));
        } catch (RuntimeException e) {
          psql.run("DROP DATABASE IF EXISTS " + q(restored) + " WITH (FORCE)");
          throw new StepFailure(
              "Restoring "
                  + plan.restorePoint()
                  + " into a new database failed: "
                  + e.getMessage()
                  + ". The failed state in database "
                  + database
                  + " is untouched and the applications are stopped; restore by hand"
                  + " (docs/operations.md, \"Restoring by hand\").");
        } finally {
          psql.execQuietly(List.of("rm", "-f", remote));
        }
        Map<String, Long> expected = backups.countsAtStopOf(runId, plan.hop()).orElse(Map.of());
        Map<String, Long> actual =
            RehearsalService.rowCounts(
                jdbcUrl(installed, restored), user, installed.databasePassword());
        Map<String, String> mismatches = new LinkedHashMap<>();
        expected.forEach(
            (table, count) -> {
              if (!count.equals(actual.get(table))) {
                mismatches.put(table, actual.get(table) + " restored, " + count + " at the stop");
              }
            });
        if (!mismatches.isEmpty()) {
          psql.run("DROP DATABASE IF EXISTS " + q(restored) + " WITH (FORCE)");
          throw new StepFailure(
              "The restored copy of "
                  + plan.restorePoint()
                  + " does not hold the rows counted at the stop: "
                  + mismatches
                  + ". The failed state in database "
                  + database
                  + " is untouched; restore by hand (docs/operations.md).");
        }
        List<String> advanced = advanceSequences(installed, database, restored);
        outcome =
            compare(
                installed,
                restored,
                database,
                plan.restorePoint(),
                advanced,
                keysFile(runId, plan));
        // The swap: one transaction, no connection may stay on either database.
        psql.run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ("
                + literal(database)
                + ", "
                + literal(restored)
                + ") AND pid <> pg_backend_pid()");
        psql.run(
            "ALTER DATABASE "
                + q(database)
                + " RENAME TO "
                + q(failed)
                + "; ALTER DATABASE "
                + q(restored)
                + " RENAME TO "
                + q(database));
        outcome =
            new DatabaseRestore(
                database,
                plan.restorePoint(),
                failed,
                outcome.discardedRows(),
                outcome.discarded(),
                outcome.sequencesAdvanced(),
                outcome.keysFile());
      }
      Files.createDirectories(report.getParent());
      Path partial = report.resolveSibling(report.getFileName() + ".partial");
      JSON.writeValue(partial.toFile(), outcome);
      Files.move(partial, report, StandardCopyOption.ATOMIC_MOVE);
      log.info(
          "Run {}: database {} of {} restored from {}; failed state kept as {}; {}",
          runId,
          database,
          platform,
          plan.restorePoint(),
          failed,
          outcome.sentence());
      return outcome;
    }
  }

  private Path keysFile(String runId, RollbackPlan plan) {
    return runs.resolve(runId).resolve("discarded-keys-" + safe(plan.hop()) + ".json");
  }

  /**
   * What the failed state holds beyond the restored copy, per protected table. Every key is written
   * to {@code keysFile} (table to keys); the variable carries the first {@value #LISTED_KEYS}.
   */
  private DatabaseRestore compare(
      InstalledPlatform installed,
      String restoredDb,
      String failedDb,
      String restorePoint,
      List<String> advanced,
      Path keysFile) {
    List<String> tables = installed.descriptor().protectedTables();
    List<DatabaseRestore.TableDiscard> discarded = new ArrayList<>();
    Map<String, List<String>> allKeys = new LinkedHashMap<>();
    long total = 0;
    String user = installed.databaseUser();
    String password = installed.databasePassword();
    try (Connection restored =
            io.upshift.platform.PlatformConnections.open(
                jdbcUrl(installed, restoredDb), user, password);
        Connection failed =
            io.upshift.platform.PlatformConnections.open(
                jdbcUrl(installed, failedDb), user, password)) {
      for (String table : tables == null ? List.<String>of() : tables) {
        DatabaseRestore.TableDiscard t = discardedRows(restored, failed, table);
        if (t != null && t.rows() > 0) {
          allKeys.put(table, t.keys());
          discarded.add(
              new DatabaseRestore.TableDiscard(
                  table,
                  t.rows(),
                  List.copyOf(t.keys().subList(0, Math.min(LISTED_KEYS, t.keys().size()))),
                  t.note()));
          total += t.rows();
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot compare the failed state with the restore point: " + e.getMessage(), e);
    }
    try {
      Files.createDirectories(keysFile.getParent());
      JSON.writeValue(keysFile.toFile(), allKeys);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new DatabaseRestore(
        installed.databaseName(),
        restorePoint,
        failedDb,
        total,
        discarded,
        advanced,
        keysFile.toString());
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
  private static List<String> advanceSequences(
      InstalledPlatform installed, String failedDb, String restoredDb) {
    List<String> advanced = new ArrayList<>();
    String user = installed.databaseUser();
    String password = installed.databasePassword();
    try (Connection failed =
            io.upshift.platform.PlatformConnections.open(
                jdbcUrl(installed, failedDb), user, password);
        Connection restored =
            io.upshift.platform.PlatformConnections.open(
                jdbcUrl(installed, restoredDb), user, password)) {
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
      throw new IllegalStateException("Cannot align the sequences: " + e.getMessage(), e);
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

  /** Drops the failed state a review decided not to keep. Converges when repeated. */
  public String discardFailedState(String platform, String failedDatabase)
      throws InterruptedException {
    InstalledPlatform installed = platforms.installed(platform);
    if (failedDatabase == null || failedDatabase.equals(installed.databaseName())) {
      throw new StepFailure("Refusing to drop '" + failedDatabase + "': not a kept failed state");
    }
    try (DockerClient docker = DockerClients.local()) {
      String container =
          BackupService.runningContainer(
              docker, installed.registration().composeProject(), installed.database().service());
      new Psql(docker, container, installed.databaseUser())
          .run("DROP DATABASE IF EXISTS " + q(failedDatabase) + " WITH (FORCE)");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
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

  static String jdbcUrl(InstalledPlatform installed, String database) {
    String url = installed.jdbcUrl();
    return url.substring(0, url.lastIndexOf('/') + 1) + database;
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
  private record Psql(DockerClient docker, String container, String user) {

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
              out,
              5);
      if (result.exitCode() != 0) {
        throw new IllegalStateException("psql failed: " + result.stderr());
      }
      return out.toString(java.nio.charset.StandardCharsets.UTF_8).strip().equals("1");
    }

    void exec(List<String> command) throws InterruptedException {
      ContainerExec.Result result =
          ContainerExec.run(docker, container, command, new ByteArrayOutputStream(), 120);
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
