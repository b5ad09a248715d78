package io.upshift.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.upshift.compose.DockerClients;
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
   * The restore point of one hop, taken while its applications are stopped: if the database changed
   * since the previous restore point ({@code previousId}: the run's backup for the first hop, the
   * previous hop's restore point after that), a backup of the data as the stop left it; otherwise
   * the previous restore point, which holds the same data. Every write the platform accepted before
   * this hop's stop is therefore in the point a rollback of this hop restores, and no hop restores
   * a point older than that. Also records the per-table row counts at the stop, which verification
   * and the restore check compare against. Idempotent per run and hop.
   */
  public String restorePointAtStop(String platform, String runId, String hop, String previousId)
      throws IOException, InterruptedException {
    // The previous point's manifest is enough (its WAL position); re-verifying the run's backup
    // here would hash every dump again inside the downtime.
    Path previousDir = backups.resolve(platform).resolve(previousId);
    BackupManifest previous =
        Files.exists(previousDir.resolve("manifest.json"))
            ? readManifest(previousDir)
            : backup(platform, runId, "");
    PlatformRegistry.Registration registration = registry.find(platform).orElseThrow();
    String now = walPosition(InstalledPlatform.load(platform, registration));
    String id;
    if (now.equals(previous.walPosition())) {
      log.info(
          "Database of {} unchanged since {} (WAL {}); it is the restore point of hop {}",
          platform,
          previous.id(),
          now,
          hop);
      id = previous.id();
    } else {
      log.info(
          "Database of {} changed since {} (WAL {} -> {}); taking the restore point of hop {}",
          platform,
          previous.id(),
          previous.walPosition(),
          now,
          hop);
      id = backup(platform, runId, "-stop-" + hop).id();
    }
    recordCountsAtStop(platform, runId, hop);
    return id;
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
   * Row counts of every table while the hop's applications are stopped, written once per run and
   * hop to {@code <data-dir>/runs/<runId>/counts-at-stop-<hop>.json}: the baseline that protected
   * tables may not shrink below, and what a restored copy of the hop's restore point must hold.
   */
  public Map<String, Long> recordCountsAtStop(String platform, String runId, String hop)
      throws IOException {
    Path file = countsAtStop(runId, hop);
    if (Files.exists(file)) {
      return JSON.readValue(
          file.toFile(),
          new com.fasterxml.jackson.core.type.TypeReference<java.util.TreeMap<String, Long>>() {});
    }
    InstalledPlatform installed =
        InstalledPlatform.load(platform, registry.find(platform).orElseThrow());
    Map<String, Long> counts =
        RehearsalService.rowCounts(
            installed.jdbcUrl(), installed.databaseUser(), installed.databasePassword());
    Files.createDirectories(file.getParent());
    JSON.writeValue(file.toFile(), counts);
    return counts;
  }

  public Path countsAtStop(String runId, String hop) {
    return backups
        .resolveSibling("runs")
        .resolve(runId)
        .resolve("counts-at-stop-" + hop.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
  }

  /** The counts recorded at a hop's stop, if that stop happened. */
  public java.util.Optional<Map<String, Long>> countsAtStopOf(String runId, String hop)
      throws IOException {
    Path file = countsAtStop(runId, hop);
    if (!Files.exists(file)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        JSON.readValue(
            file.toFile(),
            new com.fasterxml.jackson.core.type.TypeReference<
                java.util.TreeMap<String, Long>>() {}));
  }

  static String walPosition(InstalledPlatform installed) {
    try (var c =
            io.upshift.platform.PlatformConnections.open(
                installed.jdbcUrl(), installed.databaseUser(), installed.databasePassword());
        var rs = c.createStatement().executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(
          "Cannot read the WAL position of " + installed.jdbcUrl() + ": " + e.getMessage(), e);
    }
  }

  private BackupManifest backup(String platform, String runId, String suffix)
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
    String user = installed.databaseUser();
    String database = installed.databaseName();
    String wal = walPosition(installed);

    // Written to a temporary sibling and renamed at the end: a crash never leaves a half backup
    // that looks complete.
    long startedNanos = System.nanoTime();
    Path partial = directory.resolveSibling(id + ".partial");
    FileTrees.deleteRecursively(partial);
    Files.createDirectories(partial);
    List<BackupManifest.BackupFile> files = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      String container =
          runningContainer(docker, registration.composeProject(), descriptor.database().service());
      files.add(
          dump(
              docker,
              container,
              List.of("pg_dump", "-Fc", "-U", user, "-d", database),
              partial,
              database + ".dump",
              "database"));
      files.add(
          dump(
              docker,
              container,
              List.of("pg_dumpall", "--globals-only", "-U", user),
              partial,
              "globals.sql",
              "globals"));
      for (String name : configFiles(descriptor)) {
        Path source = workDir.resolve(name);
        if (Files.exists(source)) {
          files.add(copy(source, partial.resolve("config").resolve(name), "config/" + name));
        }
      }
      BackupManifest manifest =
          new BackupManifest(
              id,
              runId,
              platform,
              descriptor.platform().version(),
              database,
              clock.instant(),
              files,
              runningImages(docker, registration.composeProject()),
              wal);
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
          "Backup {} of {} {}: {} bytes in {} files, verified",
          id,
          platform,
          manifest.version(),
          manifest.totalBytes(),
          files.size());
      return manifest;
    }
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
    try (InputStream in = Files.newInputStream(directory.resolve(dumpOf(manifest).name()))) {
      return Arrays.equals(in.readNBytes(CUSTOM_FORMAT_MAGIC.length), CUSTOM_FORMAT_MAGIC);
    }
  }

  public static BackupManifest.BackupFile dumpOf(BackupManifest manifest) {
    return manifest.files().stream()
        .filter(f -> f.kind().equals("database"))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("manifest " + manifest.id() + " has no database dump"));
  }

  private static List<String> configFiles(PlatformDescriptor descriptor) {
    TreeSet<String> names = new TreeSet<>();
    names.add(descriptor.compose().file());
    names.add(descriptor.compose().envFile() == null ? ".env" : descriptor.compose().envFile());
    names.add("upshift.yaml");
    return List.copyOf(names);
  }

  private static BackupManifest.BackupFile dump(
      DockerClient docker,
      String container,
      List<String> command,
      Path dir,
      String name,
      String kind)
      throws IOException, InterruptedException {
    Path file = dir.resolve(name);
    MessageDigest digest = sha256Digest();
    ContainerExec.Result result;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
      result = ContainerExec.run(docker, container, command, out, 60);
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
        name, kind, Files.size(file), HexFormat.of().formatHex(digest.digest()));
  }

  private static BackupManifest.BackupFile copy(Path source, Path target, String name)
      throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
    return new BackupManifest.BackupFile(name, "config", Files.size(target), sha256(target));
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
