package io.upshift.preflight;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.upshift.backup.BackupService;
import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeException;
import io.upshift.compose.DockerClients;
import io.upshift.config.EnvMigration;
import io.upshift.migration.FlywayMigrator;
import io.upshift.plan.UpgradePlan;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformConnections;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.StepFailure;
import io.upshift.storage.FileTrees;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Checks, before anything is touched, that the upgrade can go through: Docker and the database
 * answer, there is room for the backup, the configuration the target needs is there (or has a
 * default), the target compose file is valid with the migrated configuration, the target images are
 * present or pullable, and which migrations are pending on the live database.
 */
@Service
public class PreflightService {

  /** Room the backup needs beyond the database's own size (dumps are usually smaller). */
  static final long BACKUP_MARGIN_BYTES = 100L * 1024 * 1024;

  private final PlatformRegistry registry;
  private final Path dataDir;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final BackupService backups;

  PreflightService(
      PlatformRegistry registry,
      BackupService backups,
      @Value("${upshift.data-dir}") Path dataDir) {
    this.registry = registry;
    this.backups = backups;
    this.dataDir = dataDir;
  }

  public record Check(String name, boolean ok, String detail) {}

  /**
   * @param configChanges what the configuration migration will do: {@code add NAME=default}, {@code
   *     rename OLD -> NEW}
   */
  public record Report(
      List<Check> checks,
      List<String> configChanges,
      List<String> pendingMigrations,
      long databaseBytes) {

    public boolean passed() {
      return checks.stream().allMatch(Check::ok);
    }

    public String failures() {
      return String.join(
          "; ",
          checks.stream().filter(c -> !c.ok()).map(c -> c.name() + ": " + c.detail()).toList());
    }
  }

  public Report check(String platform, UpgradePlan plan) throws IOException, InterruptedException {
    PlatformRegistry.Registration registration =
        registry
            .find(platform)
            .orElseThrow(() -> new StepFailure("Unknown platform '" + platform + "'"));
    InstalledPlatform installed = InstalledPlatform.load(platform, registration);
    List<Check> checks = new ArrayList<>();

    try (DockerClient docker = DockerClients.local()) {
      checks.add(new Check("docker", true, "engine " + docker.versionCmd().exec().getVersion()));
    } catch (RuntimeException e) {
      checks.add(
          new Check("docker", false, "the Docker engine does not answer: " + e.getMessage()));
    }

    // Every database answers (version 2: at its container's address, no published port).
    long databaseBytes = -1;
    Map<String, DatabaseEndpoints.Endpoint> endpoints = new LinkedHashMap<>();
    boolean single = installed.descriptor().databases().size() == 1;
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
        String check = single ? "database" : "database " + db.id();
        String where = "databases[" + db.id() + "]";
        try {
          DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
          where = endpoint.jdbcUrl();
          try (Connection c =
                  PlatformConnections.open(
                      endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
              ResultSet rs =
                  c.createStatement().executeQuery("SELECT pg_database_size(current_database())")) {
            rs.next();
            long bytes = rs.getLong(1);
            databaseBytes = Math.max(databaseBytes, 0) + bytes;
            endpoints.put(db.id(), endpoint);
            checks.add(new Check(check, true, where + " answers, " + bytes + " bytes"));
          }
        } catch (SQLException | RuntimeException e) {
          checks.add(new Check(check, false, where + " does not answer: " + e.getMessage()));
        }
      }
    } catch (IOException e) {
      checks.add(new Check("database", false, "the Docker client failed: " + e.getMessage()));
    }

    Path backups = dataDir.resolve("backups");
    Files.createDirectories(backups);
    long free = Files.getFileStore(backups).getUsableSpace();
    // Every database and saved volume, once for the run's backup and once per hop's restore point.
    Map<String, Long> sizes;
    try {
      sizes = this.backups.dataSizes(platform);
    } catch (RuntimeException e) {
      sizes = Map.of("database", Math.max(databaseBytes, 0));
    }
    long data = sizes.values().stream().mapToLong(Long::longValue).sum();
    long needed = data * (1 + Math.max(1, plan.hops().size())) + BACKUP_MARGIN_BYTES;
    checks.add(
        new Check(
            "disk",
            free >= needed,
            free
                + " bytes free in "
                + backups
                + ", backups need about "
                + needed
                + " ("
                + String.join(
                    ", ",
                    sizes.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList())
                + "; saved for the run and at each hop's stop)"));

    Map<String, String> env = new LinkedHashMap<>(installed.env().values());
    List<String> changes = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    List<String> pending = List.of();
    try (ReleaseRepository repository =
        ReleaseRepository.open(
            platform, registration, dataDir.resolve("repositories").resolve(platform + ".git"))) {
      Release last = null;
      PlatformDescriptor lastDescriptor = null;
      for (UpgradePlan.PlannedHop hop : plan.hops()) {
        Release release =
            repository
                .release(hop.to())
                .orElseThrow(() -> new StepFailure("Release " + hop.to() + " is gone"));
        PlatformDescriptor target = repository.descriptor(release);
        EnvMigration.Result result = EnvMigration.apply(target, env);
        changes.addAll(result.changes());
        missing.addAll(result.missing());
        last = release;
        lastDescriptor = target;
      }
      checks.add(
          missing.isEmpty()
              ? new Check(
                  "configuration",
                  true,
                  changes.isEmpty() ? "nothing to change" : String.join(", ", changes))
              : new Check(
                  "configuration",
                  false,
                  "variables required by the target but missing from the platform's .env, with no default: "
                      + String.join(", ", missing)
                      + ". Add them to "
                      + registration.workingDirectory().resolve(".env")
                      + " and start again."));
      checks.add(driftCheck(plan, registration.workingDirectory().resolve(".env")));
      if (missing.isEmpty()) {
        checks.add(composeFileCheck(repository, last, lastDescriptor, env));
      }
      checks.addAll(imageChecks(plan));
      pending = pendingMigrations(repository, last, lastDescriptor, endpoints, checks);
    }
    return new Report(checks, changes, pending, databaseBytes);
  }

  /**
   * The migrations pending on each live database that the last release migrates with Flyway (its
   * files against the database's history). A database migrated by a command is not asked here: its
   * status command runs in the rehearsal against the copy, with the target image, and its output is
   * in the rehearsal's evidence. One check per database; a database the last release adds is listed
   * as new.
   */
  private static List<String> pendingMigrations(
      ReleaseRepository repository,
      Release last,
      PlatformDescriptor lastDescriptor,
      Map<String, DatabaseEndpoints.Endpoint> endpoints,
      List<Check> checks)
      throws IOException {
    List<String> pending = new ArrayList<>();
    boolean single = lastDescriptor.databases().size() == 1;
    for (PlatformDescriptor.Database db : lastDescriptor.databases()) {
      String check = single ? "migrations" : "migrations " + db.id();
      PlatformDescriptor.Migrations m = db.migrations();
      DatabaseEndpoints.Endpoint endpoint = endpoints.get(db.id());
      if (endpoint == null) {
        if (!endpoints.isEmpty() && !single) {
          checks.add(new Check(check, true, "database " + db.id() + " is new in " + last.tag()));
        }
        continue;
      }
      if (m != null && m.isCommand()) {
        checks.add(
            new Check(
                check,
                true,
                "migrated by its own command ("
                    + String.join(" ", m.command())
                    + "); the rehearsal runs "
                    + (m.statusCommand() == null || m.statusCommand().isEmpty()
                        ? "it"
                        : "its status command and it")
                    + " on the copy"));
        continue;
      }
      if (m == null || m.location() == null) {
        continue;
      }
      Path folder = Files.createTempDirectory("upshift-preflight-migrations");
      try {
        repository.extract(last, m.location(), folder);
        List<String> mine =
            FlywayMigrator.pending(
                new FlywayMigrator.Target(
                    endpoint.jdbcUrl(),
                    endpoint.user(),
                    endpoint.password(),
                    folder,
                    m.historyTable()));
        pending.addAll(single ? mine : mine.stream().map(v -> db.id() + " " + v).toList());
        checks.add(new Check(check, true, mine.size() + " pending: " + String.join(", ", mine)));
      } catch (RuntimeException e) {
        checks.add(
            new Check(check, false, "Flyway cannot read the migration state: " + e.getMessage()));
      } finally {
        FileTrees.deleteRecursively(folder);
      }
    }
    return pending;
  }

  /**
   * Configuration drift, as the plan found it: variables of a target's {@code .env} template that
   * the platform's .env lacks and no descriptor declares. Listed; the required ones (no default in
   * the template, or {@code ${NAME:?}} in the compose file) fail the check.
   */
  static Check driftCheck(UpgradePlan plan, Path envFile) {
    List<String> listed = new ArrayList<>();
    List<String> required = new ArrayList<>();
    for (UpgradePlan.PlannedHop hop : plan.hops()) {
      if (hop.undeclaredVariables() == null) {
        continue;
      }
      for (UpgradePlan.PlannedVariable v : hop.undeclaredVariables()) {
        String line = v.name() + " (" + hop.to() + ": " + v.reason() + ")";
        (v.required() ? required : listed).add(line);
      }
    }
    if (!required.isEmpty()) {
      return new Check(
          "configuration drift",
          false,
          "the target needs variables that the platform's .env lacks and no descriptor declares: "
              + String.join(", ", required)
              + (listed.isEmpty() ? "" : "; also unset: " + String.join(", ", listed))
              + ". Set them in "
              + envFile
              + " (or declare them in config.newRequired with a default) and start again.");
    }
    return new Check(
        "configuration drift",
        true,
        listed.isEmpty()
            ? "every variable of the target's .env template is set or declared"
            : "unset, with a default in the template (compose will not use it): "
                + String.join(", ", listed));
  }

  /** {@code compose config -q} on the target compose file with the migrated configuration. */
  private Check composeFileCheck(
      ReleaseRepository repository,
      Release release,
      PlatformDescriptor descriptor,
      Map<String, String> env)
      throws IOException {
    Path dir = Files.createTempDirectory("upshift-preflight-compose");
    try {
      String file = descriptor.compose().file();
      Files.write(dir.resolve(file), repository.files(release, file).get(file));
      StringBuilder text = new StringBuilder();
      env.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
      Files.writeString(dir.resolve(".env"), text);
      ComposeCli.detect()
          .run(dir, "upshift-preflight", file, Duration.ofMinutes(1), List.of("config", "-q"));
      return new Check(
          "compose file",
          true,
          file + " of " + release.tag() + " is valid with the migrated configuration");
    } catch (ComposeException e) {
      return new Check("compose file", false, e.getMessage());
    } finally {
      FileTrees.deleteRecursively(dir);
    }
  }

  /** Every image of every hop is present locally or its registry has the tag. */
  private List<Check> imageChecks(UpgradePlan plan) throws InterruptedException {
    List<Check> checks = new ArrayList<>();
    List<String> images =
        plan.hops().stream().flatMap(h -> h.images().stream()).distinct().toList();
    try (DockerClient docker = DockerClients.local()) {
      for (String image : images) {
        try {
          docker.inspectImageCmd(image).exec();
          checks.add(new Check("image " + image, true, "present"));
        } catch (NotFoundException e) {
          checks.add(registryHas(image));
        }
      }
    } catch (IOException e) {
      checks.add(new Check("images", false, "cannot inspect images: " + e.getMessage()));
    }
    return checks;
  }

  /** Asks the image's registry for the tag's manifest (HTTP for loopback registries). */
  private Check registryHas(String image) throws InterruptedException {
    int slash = image.indexOf('/');
    int colon = image.lastIndexOf(':');
    if (slash < 0 || colon < slash) {
      return new Check(
          "image " + image, false, "not present locally, and not a registry/name:tag reference");
    }
    String host = image.substring(0, slash);
    String name = image.substring(slash + 1, colon);
    String tag = image.substring(colon + 1);
    boolean loopback = host.startsWith("localhost") || host.startsWith("127.");
    URI uri =
        URI.create(
            (loopback ? "http://" : "https://") + host + "/v2/" + name + "/manifests/" + tag);
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(uri)
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .header(
                      "Accept",
                      "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          ? new Check("image " + image, true, "pullable from " + host)
          : new Check(
              "image " + image,
              false,
              "not present locally and " + host + " answered " + response.statusCode());
    } catch (IOException e) {
      return new Check(
          "image " + image,
          false,
          "not present locally and " + host + " is unreachable: " + e.getMessage());
    }
  }
}
