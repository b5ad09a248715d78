package io.upshift.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.upshift.compose.DockerClients;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformRegistry;
import io.upshift.run.StepFailure;
import io.upshift.storage.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Backs up a platform before anything is changed: the database with {@code pg_dump -Fc} and the
 * globals with {@code pg_dumpall --globals-only}, both run inside the database container; the
 * platform's configuration files; and the images of its running containers. Files are streamed to
 * {@code <data-dir>/backups/<platform>/<id>} with their SHA-256 computed on the fly, described by a
 * manifest, and entered in the catalog. One backup per run: a redelivered job finds it and returns
 * it instead of dumping again.
 */
@Service
public class BackupService {

  private static final Logger log = LoggerFactory.getLogger(BackupService.class);
  private static final byte[] CUSTOM_FORMAT_MAGIC =
      "PGDMP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final PlatformRegistry registry;
  private final BackupCatalog catalog;
  private final Path backups;
  private final Clock clock;
  private final io.upshift.metrics.UpshiftMetrics metrics;

  BackupService(
      PlatformRegistry registry,
      BackupCatalog catalog,
      @Value("${upshift.data-dir}") Path dataDir,
      Clock clock,
      io.upshift.metrics.UpshiftMetrics metrics) {
    this.metrics = metrics;
    this.registry = registry;
    this.catalog = catalog;
    this.backups = dataDir.resolve("backups");
    this.clock = clock;
  }

  public BackupManifest backup(String platform, String runId)
      throws IOException, InterruptedException {
    return backup(platform, runId, "");
  }

  /**
   * The restore point of one hop, taken while its applications are stopped: every database and
   * every volume that is not skipped, at one consistent point. A database server whose WAL position
   * has not moved since the previous restore point ({@code previousId}: the run's backup for the
   * first hop, the previous hop's restore point after that) holds the same data, so its dumps are
   * linked from there instead of taken again; when nothing changed and the platform has no volume
   * to save, the previous restore point is this hop's. Every write the platform accepted before
   * this hop's stop is therefore in the point a rollback of this hop restores, and no hop restores
   * a point older than that. Also records the per-table row counts of every database at the stop,
   * which verification and the restore check compare against. Idempotent per run and hop.
   */
  public String restorePointAtStop(String platform, String runId, String hop, String previousId)
      throws IOException, InterruptedException {
    // The previous point's manifest is enough (its WAL positions); re-verifying the run's backup
    // here would hash every dump again inside the downtime.
    Path previousDir = backups.resolve(platform).resolve(previousId);
    BackupManifest previous =
        Files.exists(previousDir.resolve("manifest.json"))
            ? readManifest(previousDir)
            : backup(platform, runId, "");
    PlatformRegistry.Registration registration = registry.find(platform).orElseThrow();
    InstalledPlatform installed = InstalledPlatform.load(platform, registration);
    Map<String, String> now;
    try (DockerClient docker = DockerClients.local()) {
      now = walPositions(installed, docker);
    }
    boolean volumes =
        installed.descriptor().volumes().stream()
            .anyMatch(v -> !"skip".equals(v.policyOrDefault()));
    List<String> changed = changedServices(previous, now, installed.database().service());
    String id;
    // Reused only while the same release is installed: its configuration files are the ones the
    // rollback of this hop puts back.
    if (changed.isEmpty()
        && !volumes
        && installed.descriptor().platform().version().equals(previous.version())) {
      log.info(
          "Databases of {} unchanged since {} (WAL {}); it is the restore point of hop {}",
          platform,
          previous.id(),
          now,
          hop);
      id = previous.id();
    } else {
      log.info(
          "Taking the restore point of hop {} of {}: database servers changed since {}: {};"
              + " volumes to save: {}",
          hop,
          platform,
          previous.id(),
          changed,
          volumes);
      BackupManifest taken = take(platform, runId, "-stop-" + hop, true, previous);
      id = taken.id();
      // Counted after the stop, by the restore point itself: no need to count again.
      if (taken.rowCounts() != null && !taken.rowCounts().isEmpty()) {
        writeCountsAtStop(runId, hop, installed, taken.rowCounts());
        return id;
      }
    }
    recordCountsAtStop(platform, runId, hop);
    return id;
  }

  /**
   * The dump command. At the stop the dump lies inside the downtime, so it trades a few percent of
   * size for speed: {@code -Z1} dumped 200,000 rows (31 MB) in 0.44-0.55 s against 0.64-0.77 s at
   * pg_dump's default level, 8 % larger. Before the stop the default level keeps backups small.
   */
  static List<String> pgDump(boolean atStop, String user, String database) {
    List<String> command = new ArrayList<>(List.of("pg_dump", "-Fc"));
    if (atStop) {
      command.add("-Z1");
    }
    command.addAll(List.of("-U", user, "-d", database));
    return command;
  }

  /**
   * One database of a backup: its dump (or the previous backup's, linked, when its server's WAL did
   * not move) and, alongside, its row counts into {@code counts}.
   */
  private static BackupManifest.BackupFile backUpDatabase(
      DockerClient docker,
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      BackupManifest unchangedSince,
      Path previousDir,
      Path partial,
      boolean atStop,
      Map<String, Long> counts,
      String id,
      String platform)
      throws IOException, InterruptedException {
    DumpSource source = DumpSource.of(docker, installed, db);
    DatabaseEndpoints.Endpoint endpoint = source.endpoint();
    long started = System.nanoTime();
    BackupManifest.BackupFile file;
    BackupManifest.BackupFile reused =
        unchangedSince == null ? null : reuse(unchangedSince, previousDir, db, partial);
    try (ExecutorService counting = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<Map<String, Long>> counted =
          counting.submit(
              () ->
                  RehearsalService.rowCounts(
                      endpoint.jdbcUrl(), endpoint.user(), endpoint.password()));
      file =
          reused != null
              ? reused
              : dump(
                  docker,
                  source.container(),
                  pgDump(atStop, endpoint.user(), endpoint.name()),
                  source.env(),
                  partial,
                  dumpName(db, endpoint.name()),
                  BackupManifest.DATABASE,
                  db.id());
      counts.putAll(partResult(counted));
    }
    log.info(
        "Backup {} of {}: database {} ({}) {} in {} ms",
        id,
        platform,
        db.id(),
        endpoint.name(),
        reused != null ? "unchanged, linked from " + unchangedSince.id() : "dumped",
        (System.nanoTime() - started) / 1_000_000);
    return file;
  }

  /** Where a database's dumps run: its endpoint, its service's container, the password. */
  private record DumpSource(
      DatabaseEndpoints.Endpoint endpoint, String container, List<String> env) {

    static DumpSource of(
        DockerClient docker, InstalledPlatform installed, PlatformDescriptor.Database db) {
      DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
      return new DumpSource(
          endpoint,
          runningContainer(docker, installed.registration().composeProject(), db.service()),
          endpoint.password() == null ? List.of() : List.of("PGPASSWORD=" + endpoint.password()));
    }
  }

  /** The roles and tablespaces of a database's server ({@code pg_dumpall --globals-only}). */
  private static BackupManifest.BackupFile backUpGlobals(
      DockerClient docker,
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      Path partial,
      String name)
      throws IOException, InterruptedException {
    DumpSource source = DumpSource.of(docker, installed, db);
    return dump(
        docker,
        source.container(),
        List.of("pg_dumpall", "--globals-only", "-U", source.endpoint().user()),
        source.env(),
        partial,
        name,
        BackupManifest.GLOBALS,
        db.service());
  }

  /** One volume of a backup, archived through a helper container of {@code image}. */
  private static BackupManifest.BackupFile saveVolume(
      DockerClient docker,
      String image,
      PlatformRegistry.Registration registration,
      PlatformDescriptor.Volume volume,
      Path partial,
      String id,
      String platform)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    VolumeArchives.Source source =
        VolumeArchives.resolve(
            docker, registration.composeProject(), registration.workingDirectory(), volume);
    BackupManifest.BackupFile archive =
        VolumeArchives.save(
            docker, image, platform, source, partial, "volumes/" + safe(volume.label()) + ".tar");
    log.info(
        "Backup {} of {}: volume {} ({}, {}) saved, {} bytes in {} ms",
        id,
        platform,
        volume.label(),
        source,
        volume.policyOrDefault(),
        archive.bytes(),
        (System.nanoTime() - started) / 1_000_000);
    return archive;
  }

  /** A part's result, with the part's own exception (a failed dump fails the backup). */
  private static <T> T partResult(Future<T> part) throws IOException, InterruptedException {
    try {
      return part.get();
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case IOException io -> throw io;
        case InterruptedException interrupted -> throw interrupted;
        case RuntimeException runtime -> throw runtime;
        case Error error -> throw error;
        default -> throw new IllegalStateException(e.getCause());
      }
    }
  }

  /** Database services whose WAL position moved since {@code previous} (or that it lacks). */
  static List<String> changedServices(
      BackupManifest previous, Map<String, String> now, String firstService) {
    List<String> changed = new ArrayList<>();
    now.forEach(
        (service, wal) -> {
          if (!wal.equals(previousWal(previous, service, firstService))) {
            changed.add(service);
          }
        });
    return changed;
  }

  /** A manifest's WAL position of a database service (version-1 manifests: the only one). */
  static String previousWal(BackupManifest previous, String service, String firstService) {
    if (previous.walPositions() != null) {
      return previous.walPositions().get(service);
    }
    return service.equals(firstService) ? previous.walPosition() : null;
  }

  /** The directory of a backup by id, which must have a manifest (files not re-hashed). */
  public Path backupDirectory(String platform, String id) {
    Path dir = backups.resolve(platform).resolve(id);
    if (!Files.exists(dir.resolve("manifest.json"))) {
      throw new StepFailure("Backup " + id + " of " + platform + " is missing: no " + dir);
    }
    return dir;
  }

  /** The directory of a backup by id, verified against its manifest. */
  public Path verifiedBackup(String platform, String id) throws IOException {
    Path dir = backups.resolve(platform).resolve(id);
    if (!Files.exists(dir.resolve("manifest.json"))) {
      throw new StepFailure("Backup " + id + " of " + platform + " is missing: no " + dir);
    }
    if (!verify(dir, readManifest(dir))) {
      throw new StepFailure(
          "Backup "
              + id
              + " of "
              + platform
              + " in "
              + dir
              + " does not match its manifest (a file is missing, truncated or changed)");
    }
    return dir;
  }

  /**
   * Row counts of every table of every database while the hop's applications are stopped, written
   * once per run and hop: the baseline that protected tables may not shrink below, and what a
   * restored copy of the hop's restore point must hold. The first database's counts are in {@code
   * <data-dir>/runs/<runId>/counts-at-stop-<hop>.json} (as in version 1), each database's in {@code
   * counts-at-stop-<hop>-db-<id>.json}. Returns the first database's.
   */
  public Map<String, Long> recordCountsAtStop(String platform, String runId, String hop)
      throws IOException {
    Path file = countsAtStop(runId, hop);
    if (Files.exists(file)) {
      return readCounts(file);
    }
    InstalledPlatform installed =
        InstalledPlatform.load(platform, registry.find(platform).orElseThrow());
    Map<String, Map<String, Long>> counts = new java.util.LinkedHashMap<>();
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
        DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
        counts.put(
            db.id(),
            RehearsalService.rowCounts(endpoint.jdbcUrl(), endpoint.user(), endpoint.password()));
      }
    }
    return writeCountsAtStop(runId, hop, installed, counts);
  }

  /**
   * Keeps each database's counts at a hop's stop, and the first database's under the version-1
   * name; returns the first database's.
   */
  private Map<String, Long> writeCountsAtStop(
      String runId, String hop, InstalledPlatform installed, Map<String, Map<String, Long>> counts)
      throws IOException {
    Map<String, Long> first = null;
    for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
      Map<String, Long> these = counts.getOrDefault(db.id(), Map.of());
      Path perDatabase = countsAtStop(runId, hop, db.id());
      Files.createDirectories(perDatabase.getParent());
      JSON.writeValue(perDatabase.toFile(), these);
      if (first == null) {
        first = these;
      }
    }
    Path file = countsAtStop(runId, hop);
    Files.createDirectories(file.getParent());
    JSON.writeValue(file.toFile(), first == null ? Map.of() : first);
    return first == null ? Map.of() : first;
  }

  public Path countsAtStop(String runId, String hop) {
    return backups
        .resolveSibling("runs")
        .resolve(runId)
        .resolve("counts-at-stop-" + safe(hop) + ".json");
  }

  /** Where the counts of one database at a hop's stop are kept. */
  public Path countsAtStop(String runId, String hop, String databaseId) {
    return backups
        .resolveSibling("runs")
        .resolve(runId)
        .resolve("counts-at-stop-" + safe(hop) + "-db-" + safe(databaseId) + ".json");
  }

  /** The counts recorded at a hop's stop (the first database), if that stop happened. */
  public java.util.Optional<Map<String, Long>> countsAtStopOf(String runId, String hop)
      throws IOException {
    Path file = countsAtStop(runId, hop);
    return Files.exists(file)
        ? java.util.Optional.of(readCounts(file))
        : java.util.Optional.empty();
  }

  /** The counts of one database recorded at a hop's stop, if that stop happened. */
  public java.util.Optional<Map<String, Long>> countsAtStopOf(
      String runId, String hop, String databaseId) throws IOException {
    Path file = countsAtStop(runId, hop, databaseId);
    return Files.exists(file)
        ? java.util.Optional.of(readCounts(file))
        : java.util.Optional.empty();
  }

  private static Map<String, Long> readCounts(Path file) throws IOException {
    return JSON.readValue(
        file.toFile(),
        new com.fasterxml.jackson.core.type.TypeReference<java.util.TreeMap<String, Long>>() {});
  }

  static String safe(String name) {
    return name == null ? "none" : name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /**
   * The WAL position of every database server (service) of the platform, read over the first
   * database the descriptor declares on it.
   */
  static Map<String, String> walPositions(InstalledPlatform installed, DockerClient docker) {
    Map<String, String> positions = new java.util.TreeMap<>();
    for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
      if (positions.containsKey(db.service())) {
        continue;
      }
      DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
      try (var c =
              io.upshift.platform.PlatformConnections.open(
                  endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
          var rs = c.createStatement().executeQuery("SELECT pg_current_wal_lsn()::text")) {
        rs.next();
        positions.put(db.service(), rs.getString(1));
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(
            "Cannot read the WAL position of " + endpoint.jdbcUrl() + ": " + e.getMessage(), e);
      }
    }
    return positions;
  }

  /**
   * Bytes the data of the platform takes, per database ({@code database <id>}) and per saved volume
   * ({@code volume <label>}): what a backup needs room for, shown by the pre-flight.
   */
  public Map<String, Long> dataSizes(String platform) throws InterruptedException {
    InstalledPlatform installed =
        InstalledPlatform.load(platform, registry.find(platform).orElseThrow());
    Map<String, Long> sizes = new java.util.LinkedHashMap<>();
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
        DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
        try (var c =
                io.upshift.platform.PlatformConnections.open(
                    endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
            var rs =
                c.createStatement().executeQuery("SELECT pg_database_size(current_database())")) {
          rs.next();
          sizes.put("database " + db.id(), rs.getLong(1));
        } catch (java.sql.SQLException e) {
          throw new IllegalStateException(
              "Cannot size database " + db.id() + ": " + e.getMessage(), e);
        }
      }
      List<PlatformDescriptor.Volume> saved =
          installed.descriptor().volumes().stream()
              .filter(v -> !"skip".equals(v.policyOrDefault()))
              .toList();
      if (!saved.isEmpty()) {
        String image = helperImage(docker, installed);
        for (PlatformDescriptor.Volume v : saved) {
          VolumeArchives.Source source =
              VolumeArchives.resolve(
                  docker,
                  installed.registration().composeProject(),
                  installed.registration().workingDirectory(),
                  v);
          sizes.put("volume " + v.label(), VolumeArchives.size(docker, image, platform, source));
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return sizes;
  }

  /**
   * The image helper containers run: the one the platform's (first) database service runs, which is
   * on the machine already. Nothing is pulled.
   */
  public static String helperImage(DockerClient docker, InstalledPlatform installed) {
    String container =
        runningContainer(
            docker, installed.registration().composeProject(), installed.database().service());
    return docker.inspectContainerCmd(container).exec().getImageId();
  }

  private BackupManifest backup(String platform, String runId, String suffix)
      throws IOException, InterruptedException {
    return take(platform, runId, suffix, false, null);
  }

  /**
   * Takes one backup: every database ({@code pg_dump -Fc} in its service's container), the globals
   * once per database service, the configuration files, the volumes (live ones always, stopped ones
   * only at the stop), the row counts and the running images. {@code previous}: a backup whose
   * dumps may be linked for database servers whose WAL did not move since.
   */
  private BackupManifest take(
      String platform, String runId, String suffix, boolean atStop, BackupManifest previous)
      throws IOException, InterruptedException {
    PlatformRegistry.Registration registration =
        registry
            .find(platform)
            .orElseThrow(
                () ->
                    new StepFailure(
                        "Unknown platform '" + platform + "'; registered: " + registry.names()));
    String id = "run-" + runId + suffix;
    Path directory = backups.resolve(platform).resolve(id);
    Path manifestFile = directory.resolve("manifest.json");
    if (Files.exists(manifestFile)) {
      BackupManifest existing = readManifest(directory);
      log.info("Backup {} of {} already taken for this run; not dumping again", id, platform);
      catalog.record(
          existing, directory.toString(), dumpOf(existing).sha256(), verify(directory, existing));
      return existing;
    }

    InstalledPlatform installed = InstalledPlatform.load(platform, registration);
    Path workDir = registration.workingDirectory();
    PlatformDescriptor descriptor = installed.descriptor();
    List<PlatformDescriptor.Database> databases = descriptor.databases();
    if (databases.isEmpty()) {
      throw new StepFailure(
          platform + " declares no database in its descriptor; nothing to back up");
    }
    Path previousDir = previous == null ? null : backups.resolve(platform).resolve(previous.id());

    // Written to a temporary sibling and renamed at the end: a crash never leaves a half backup
    // that looks complete.
    long startedNanos = System.nanoTime();
    Path partial = directory.resolveSibling(id + ".partial");
    FileTrees.deleteRecursively(partial);
    Files.createDirectories(partial);
    List<BackupManifest.BackupFile> files = new ArrayList<>();
    Map<String, Map<String, Long>> rowCounts = new java.util.LinkedHashMap<>();
    List<BackupManifest.SkippedVolume> skipped = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      Map<String, String> wal = walPositions(installed, docker);
      List<String> changed =
          previous == null
              ? List.copyOf(wal.keySet())
              : changedServices(previous, wal, databases.get(0).service());
      boolean oneServer = wal.size() == 1;
      // Every database dump and every volume archive of one backup runs at once: at the stop they
      // lie inside the downtime, which would otherwise wait for their sum instead of the longest.
      // The manifest keeps the order of the descriptor: each database, its server's globals, the
      // configuration files, the volumes.
      List<Future<BackupManifest.BackupFile>> databaseParts = new ArrayList<>();
      List<Future<BackupManifest.BackupFile>> volumeParts = new ArrayList<>();
      try (ExecutorService parts = Executors.newVirtualThreadPerTaskExecutor()) {
        java.util.Set<String> globalsTaken = new java.util.HashSet<>();
        for (PlatformDescriptor.Database db : databases) {
          Map<String, Long> counts = new java.util.LinkedHashMap<>();
          rowCounts.put(db.id(), counts);
          databaseParts.add(
              parts.submit(
                  () ->
                      backUpDatabase(
                          docker,
                          installed,
                          db,
                          changed.contains(db.service()) ? null : previous,
                          previousDir,
                          partial,
                          atStop,
                          counts,
                          id,
                          platform)));
          if (globalsTaken.add(db.service())) {
            String name = oneServer ? "globals.sql" : "globals-" + safe(db.service()) + ".sql";
            databaseParts.add(
                parts.submit(() -> backUpGlobals(docker, installed, db, partial, name)));
          }
        }
        String image = null;
        for (PlatformDescriptor.Volume volume : descriptor.volumes()) {
          String policy = volume.policyOrDefault();
          if ("skip".equals(policy)) {
            skipped.add(new BackupManifest.SkippedVolume(volume.label(), volume.reason()));
            continue;
          }
          if (!atStop && !"live".equals(policy)) {
            continue; // saved after the stop, in the restore point, where it is consistent
          }
          if (image == null) {
            image = helperImage(docker, installed);
          }
          String helper = image;
          volumeParts.add(
              parts.submit(
                  () -> saveVolume(docker, helper, registration, volume, partial, id, platform)));
        }
        for (Future<BackupManifest.BackupFile> part : databaseParts) {
          files.add(partResult(part));
        }
      }
      for (String name : configFiles(descriptor)) {
        Path source = workDir.resolve(name).normalize();
        if (!source.startsWith(workDir.normalize())) {
          throw new StepFailure("config.files: '" + name + "' leaves the platform directory");
        }
        if (Files.isDirectory(source)) {
          try (var walk = Files.walk(source)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
              String relative = workDir.normalize().relativize(file).toString();
              files.add(
                  copy(file, partial.resolve("config").resolve(relative), "config/" + relative));
            }
          }
        } else if (Files.exists(source)) {
          files.add(copy(source, partial.resolve("config").resolve(name), "config/" + name));
        }
      }
      for (Future<BackupManifest.BackupFile> part : volumeParts) {
        files.add(partResult(part));
      }
      String firstService = databases.get(0).service();
      BackupManifest manifest =
          new BackupManifest(
              id,
              runId,
              platform,
              descriptor.platform().version(),
              databases.get(0).resolveName(installed.env()),
              clock.instant(),
              files,
              runningImages(docker, registration.composeProject()),
              wal.get(firstService),
              wal,
              rowCounts,
              skipped,
              (System.nanoTime() - startedNanos) / 1_000_000);
      JSON.writeValue(partial.resolve("manifest.json").toFile(), manifest);
      boolean verified = verify(partial, manifest);
      if (!verified) {
        throw new StepFailure(
            "Backup "
                + id
                + " of "
                + platform
                + " failed verification (checksum or dump format); not using it");
      }
      Files.createDirectories(directory.getParent());
      Files.move(partial, directory, StandardCopyOption.ATOMIC_MOVE);
      catalog.record(manifest, directory.toString(), dumpOf(manifest).sha256(), true);
      metrics.backupTaken(
          platform,
          suffix.isEmpty() ? "database" : "final",
          manifest.totalBytes(),
          java.time.Duration.ofNanos(System.nanoTime() - startedNanos));
      log.info(
          "Backup {} of {} {}: {} bytes in {} files, {} database(s), {} volume(s), verified, {} ms",
          id,
          platform,
          manifest.version(),
          manifest.totalBytes(),
          files.size(),
          databases.size(),
          manifest.filesOf(BackupManifest.VOLUME).size(),
          (System.nanoTime() - startedNanos) / 1_000_000);
      return manifest;
    }
  }

  /** Version 1: {@code <name>.dump} (as before); version 2: {@code databases/<id>.dump}. */
  static String dumpName(PlatformDescriptor.Database db, String name) {
    return db.publishedOnHost() ? name + ".dump" : "databases/" + safe(db.id()) + ".dump";
  }

  /**
   * Links (or copies) a database's dump from the previous backup when its server did not change;
   * null when the previous backup has none for it.
   */
  private static BackupManifest.BackupFile reuse(
      BackupManifest previous, Path previousDir, PlatformDescriptor.Database db, Path partial)
      throws IOException {
    if (previous == null) {
      return null;
    }
    BackupManifest.BackupFile old = dumpOf(previous, db.id()).orElse(null);
    if (old == null || !Files.exists(previousDir.resolve(old.name()))) {
      return null;
    }
    Path target = partial.resolve(old.name());
    Files.createDirectories(target.getParent());
    try {
      Files.createLink(target, previousDir.resolve(old.name()));
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(previousDir.resolve(old.name()), target);
    }
    return new BackupManifest.BackupFile(
        old.name(), old.kind(), old.bytes(), old.sha256(), db.id());
  }

  public static BackupManifest readManifest(Path directory) throws IOException {
    return JSON.readValue(directory.resolve("manifest.json").toFile(), BackupManifest.class);
  }

  /**
   * Re-reads every file and compares with the manifest; the dump must be pg_dump's custom format.
   */
  static boolean verify(Path directory, BackupManifest manifest) throws IOException {
    for (BackupManifest.BackupFile file : manifest.files()) {
      Path path = directory.resolve(file.name());
      if (!Files.exists(path)
          || Files.size(path) != file.bytes()
          || !sha256(path).equals(file.sha256())) {
        return false;
      }
    }
    for (BackupManifest.BackupFile dump : manifest.filesOf(BackupManifest.DATABASE)) {
      try (InputStream in = Files.newInputStream(directory.resolve(dump.name()))) {
        if (!Arrays.equals(in.readNBytes(CUSTOM_FORMAT_MAGIC.length), CUSTOM_FORMAT_MAGIC)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The dump of one database; version-1 manifests (no subject) hold only the database {@value
   * PlatformDescriptor#V1_DATABASE_ID}.
   */
  public static java.util.Optional<BackupManifest.BackupFile> dumpOf(
      BackupManifest manifest, String databaseId) {
    return manifest.filesOf(BackupManifest.DATABASE).stream()
        .filter(
            f ->
                databaseId.equals(f.subject())
                    || (f.subject() == null
                        && PlatformDescriptor.V1_DATABASE_ID.equals(databaseId)))
        .findFirst();
  }

  /** The first database's dump (version 1: the only one). */
  public static BackupManifest.BackupFile dumpOf(BackupManifest manifest) {
    return manifest.files().stream()
        .filter(f -> f.kind().equals("database"))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("manifest " + manifest.id() + " has no database dump"));
  }

  /**
   * The compose file, the .env, the descriptor, and {@code config.files[]} (files, directories).
   */
  private static List<String> configFiles(PlatformDescriptor descriptor) {
    TreeSet<String> names = new TreeSet<>(descriptor.configFiles());
    names.add(descriptor.compose().file());
    names.add(descriptor.compose().envFile() == null ? ".env" : descriptor.compose().envFile());
    names.add("upshift.yaml");
    return List.copyOf(names);
  }

  private static BackupManifest.BackupFile dump(
      DockerClient docker,
      String container,
      List<String> command,
      List<String> env,
      Path dir,
      String name,
      String kind,
      String subject)
      throws IOException, InterruptedException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    MessageDigest digest = sha256Digest();
    ContainerExec.Result result;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
      result = ContainerExec.run(docker, container, command, env, out, 60);
    }
    if (result.exitCode() != 0) {
      // Transient as far as we know (locks, a restarting server): the job is retried.
      throw new IllegalStateException(
          String.join(" ", command)
              + " failed with exit code "
              + result.exitCode()
              + ": "
              + result.stderr());
    }
    return new BackupManifest.BackupFile(
        name, kind, Files.size(file), HexFormat.of().formatHex(digest.digest()), subject);
  }

  private static BackupManifest.BackupFile copy(Path source, Path target, String name)
      throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
    return new BackupManifest.BackupFile(
        name, BackupManifest.CONFIG, Files.size(target), sha256(target));
  }

  public static String runningContainer(DockerClient docker, String project, String service) {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    if (containers.isEmpty()) {
      throw new StepFailure(
          "The database service '"
              + service
              + "' of compose project '"
              + project
              + "' is not running; backups and restores need it."
              + " Start it (compose up -d "
              + service
              + ") and retry the job.");
    }
    return containers.get(0).getId();
  }

  /** image@digest of every running container of the project (what rollback restores). */
  private static List<String> runningImages(DockerClient docker, String project) {
    TreeSet<String> images = new TreeSet<>();
    for (Container c :
        docker
            .listContainersCmd()
            // Stopped ones too: a restore point is taken with the applications stopped, and the
            // rollback re-tags their images by these digests.
            .withShowAll(true)
            .withLabelFilter(Map.of("com.docker.compose.project", project))
            .exec()) {
      String service = c.getLabels().getOrDefault("com.docker.compose.service", c.getId());
      var image = docker.inspectImageCmd(c.getImageId()).exec();
      String reference =
          image.getRepoDigests() == null || image.getRepoDigests().isEmpty()
              ? c.getImage() + "@" + c.getImageId()
              : image.getRepoDigests().get(0);
      images.add(service + "=" + reference);
    }
    return List.copyOf(images);
  }

  public static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256Digest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
