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
   * After the applications stopped: if the database changed since the run's backup (its WAL
   * position moved), takes a final backup so that a rollback never loses a write the platform
   * accepted before the stop. Returns the newest backup of the run.
   */
  public BackupManifest finalBackupIfChanged(String platform, String runId)
      throws IOException, InterruptedException {
    BackupManifest first = backup(platform, runId, "");
    PlatformRegistry.Registration registration = registry.find(platform).orElseThrow();
    String now = walPosition(InstalledPlatform.load(platform, registration));
    if (now.equals(first.walPosition())) {
      log.info(
          "Database of {} unchanged since backup {} (WAL {}); no final backup needed",
          platform,
          first.id(),
          now);
      return first;
    }
    log.info(
        "Database of {} changed since backup {} (WAL {} -> {}); taking a final backup",
        platform,
        first.id(),
        first.walPosition(),
        now);
    return backup(platform, runId, "-final");
  }

  /**
   * At the first stop of a run (no counts recorded yet): the final backup if data changed, then the
   * counts at the stop, written last so that they mark the first stop as done. At later hops
   * nothing is taken. Returns the id of the backup a rollback restores.
   */
  public String atFirstStop(String platform, String runId)
      throws IOException, InterruptedException {
    if (!Files.exists(countsAtStop(runId))) {
      finalBackupIfChanged(platform, runId);
      recordCountsAtStop(platform, runId);
    }
    return readManifest(newestBackup(platform, runId)).id();
  }

  /**
   * Row counts of every table while the applications are stopped, written once per run to {@code
   * <data-dir>/runs/<runId>/counts-at-stop.json}: the baseline that protected tables may not shrink
   * below.
   */
  public Map<String, Long> recordCountsAtStop(String platform, String runId) throws IOException {
    Path file = countsAtStop(runId);
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

  public Path countsAtStop(String runId) {
    return backups.resolveSibling("runs").resolve(runId).resolve("counts-at-stop.json");
  }

  /** The newest verified backup of a run (the final one when it exists): what rollback restores. */
  public Path newestBackup(String platform, String runId) throws IOException {
    Path last = backups.resolve(platform).resolve("run-" + runId + "-final");
    Path first = backups.resolve(platform).resolve("run-" + runId);
    Path chosen = Files.exists(last.resolve("manifest.json")) ? last : first;
    if (!Files.exists(chosen.resolve("manifest.json")) || !verify(chosen, readManifest(chosen))) {
      throw new StepFailure("No verified backup of run " + runId + " in " + chosen);
    }
    return chosen;
  }

  static String walPosition(InstalledPlatform installed) {
    try (var c =
            java.sql.DriverManager.getConnection(
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

  static BackupManifest readManifest(Path directory) throws IOException {
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

  static BackupManifest.BackupFile dumpOf(BackupManifest manifest) {
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

  static String runningContainer(DockerClient docker, String project, String service) {
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

  static String sha256(Path file) throws IOException {
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
