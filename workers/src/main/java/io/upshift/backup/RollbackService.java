package io.upshift.backup;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.DockerClients;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformOperations;
import io.upshift.run.StepFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Puts a platform back where the run found it: the release and configuration from before the
 * upgrade (from the run's backup), the database from the newest backup (dropped and recreated, then
 * pg_restore: --clean alone would leave tables newer migrations created), the images by the digests
 * that were running, then starts it and waits until healthy. Idempotent: every step converges on
 * the same state when repeated.
 */
@Service
public class RollbackService {

  private static final Logger log = LoggerFactory.getLogger(RollbackService.class);
  private static final Pattern REFERENCE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}");

  private final BackupService backups;
  private final PlatformOperations platforms;
  private final java.nio.file.Path dataDir;
  private final io.upshift.metrics.UpshiftMetrics metrics;

  RollbackService(
      BackupService backups,
      PlatformOperations platforms,
      @org.springframework.beans.factory.annotation.Value("${upshift.data-dir}") Path dataDir,
      io.upshift.metrics.UpshiftMetrics metrics) {
    this.metrics = metrics;
    this.backups = backups;
    this.platforms = platforms;
    this.dataDir = dataDir;
  }

  /** What the rollback did. */
  public record Outcome(
      String version, String restoredFrom, Map<String, String> health, List<String> retagged) {}

  public Outcome rollback(String platform, String runId) throws IOException, InterruptedException {
    Path original = dataDir.resolve("backups").resolve(platform).resolve("run-" + runId);
    if (!Files.exists(original.resolve("manifest.json"))) {
      throw new StepFailure("No backup of run " + runId + " to roll back to");
    }
    BackupManifest before = BackupService.readManifest(original);
    Path newest = backups.newestBackup(platform, runId);
    BackupManifest restorePoint = BackupService.readManifest(newest);

    // 1. The release and configuration from before the upgrade.
    platforms.checkout(platform, before.version());
    InstalledPlatform installed = platforms.installed(platform);
    Path workDir = installed.registration().workingDirectory();
    for (BackupManifest.BackupFile file : before.files()) {
      if (file.kind().equals("config") && file.name().startsWith("config/.env")) {
        Files.copy(
            original.resolve(file.name()),
            workDir.resolve(file.name().substring("config/".length())),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
    installed = platforms.installed(platform);
    platforms.stopApplications(platform);

    // 2. The database from the newest backup.
    try (DockerClient docker = DockerClients.local()) {
      String db =
          BackupService.runningContainer(
              docker, installed.registration().composeProject(), installed.database().service());
      String user = installed.databaseUser();
      String name = installed.databaseName();
      String database = quoteIdentifier(name);
      psql(docker, db, user, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      psql(docker, db, user, "CREATE DATABASE " + database + " OWNER " + quoteIdentifier(user));
      BackupManifest.BackupFile dump = BackupService.dumpOf(restorePoint);
      docker
          .copyArchiveToContainerCmd(db)
          .withHostResource(newest.resolve(dump.name()).toString())
          .withRemotePath("/tmp")
          .exec();
      exec(
          docker,
          db,
          List.of("pg_restore", "--exit-on-error", "-U", user, "-d", name, "/tmp/" + dump.name()));
      exec(docker, db, List.of("rm", "-f", "/tmp/" + dump.name()));

      // 3. The images that were running, by digest, under the tags the old compose file names.
      List<String> retagged =
          retag(
              docker,
              before.runningImages(),
              workDir.resolve(installed.descriptor().compose().file()),
              installed.env());

      // 4. Start and wait.
      Map<String, String> health = platforms.startAndAwaitHealthy(platform);
      boolean healthy =
          health.values().stream().allMatch(s -> s.equals("healthy") || s.equals("running"));
      if (!healthy) {
        throw new StepFailure(
            "Rolled back to "
                + before.version()
                + " and restored "
                + restorePoint.id()
                + ", but the services are not healthy: "
                + health
                + ". The platform needs a person now.");
      }
      metrics.rollbackPerformed(platform);
      log.info(
          "Run {}: {} rolled back to {} from backup {}",
          runId,
          platform,
          before.version(),
          restorePoint.id());
      return new Outcome(before.version(), restorePoint.id(), health, retagged);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> retag(
      DockerClient docker, List<String> running, Path composeFile, EnvFile env) throws IOException {
    Map<String, Object> compose = new YAMLMapper().readValue(composeFile.toFile(), Map.class);
    Map<String, Object> services = (Map<String, Object>) compose.getOrDefault("services", Map.of());
    List<String> retagged = new java.util.ArrayList<>();
    for (String entry : running) {
      int eq = entry.indexOf('=');
      String service = entry.substring(0, eq);
      String pinned = entry.substring(eq + 1);
      if (!pinned.contains("@sha256:")
          || !(services.get(service) instanceof Map<?, ?> s)
          || !(s.get("image") instanceof String image)) {
        continue;
      }
      String reference = resolve(image, env);
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

  private static String resolve(String image, EnvFile env) {
    Matcher m = REFERENCE.matcher(image);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = env.values().get(m.group(1));
      m.appendReplacement(
          out,
          Matcher.quoteReplacement(
              value != null && !value.isEmpty() ? value : m.group(2) == null ? "" : m.group(2)));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** One SQL statement through psql in the database container, connected to {@code postgres}. */
  private static void psql(DockerClient docker, String container, String user, String sql)
      throws InterruptedException {
    exec(
        docker,
        container,
        List.of("psql", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql));
  }

  private static String quoteIdentifier(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static void exec(DockerClient docker, String container, List<String> command)
      throws InterruptedException {
    ContainerExec.Result result =
        ContainerExec.run(docker, container, command, new ByteArrayOutputStream(), 60);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", command)
              + " failed (exit "
              + result.exitCode()
              + "): "
              + result.stderr());
    }
  }
}
