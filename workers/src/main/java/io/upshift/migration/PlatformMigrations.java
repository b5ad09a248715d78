package io.upshift.migration;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.DockerClients;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;

/**
 * The cutover's migrations: every database of the checked-out (target) release, in descriptor
 * order, each with its own tool. A command runs in a one-off container of its service's image as
 * the target release's compose file gives it, on the platform's network, reaching the database by
 * its service name. Re-running is safe: Flyway skips what its history holds, and a command tool is
 * expected to be idempotent the way Alembic, Django or Rails migrations are.
 */
@Service
public class PlatformMigrations {

  /**
   * The downtime's migrations of every database of the installed release, or only those named (a
   * stage's {@code migrate}): all pending ones, or those below {@code postDeploymentFrom}.
   */
  public List<DatabaseMigrator.Outcome> migrate(
      InstalledPlatform installed, String runId, List<String> only) throws InterruptedException {
    return migrate(installed, runId, only, DatabaseMigrator.Phase.DOWNTIME);
  }

  /** One phase of the installed (checked-out) release's migrations, database by database. */
  public List<DatabaseMigrator.Outcome> migrate(
      InstalledPlatform installed, String runId, List<String> only, DatabaseMigrator.Phase phase)
      throws InterruptedException {
    List<DatabaseMigrator.Outcome> outcomes = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : databases(installed, only)) {
        if (phase.range(db.migrations()).isEmpty()) {
          continue; // nothing declared for this phase: no connection, no container
        }
        outcomes.add(DatabaseMigrator.migrate(docker, target(installed, db, runId, docker), phase));
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("Docker client: " + e.getMessage(), e);
    }
    return outcomes;
  }

  /**
   * The versions still pending on each database that declares {@code phase} (Flyway's pending
   * list), as {@code "<database>: <version> <description>"}; for a warning after a failure.
   */
  public List<String> pending(
      InstalledPlatform installed, String runId, DatabaseMigrator.Phase phase)
      throws InterruptedException {
    List<String> pending = new ArrayList<>();
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : installed.descriptor().databases()) {
        if (phase.range(db.migrations()).isEmpty()) {
          continue;
        }
        for (String version :
            DatabaseMigrator.pending(docker, target(installed, db, runId, docker))) {
          pending.add(db.id() + ": " + version);
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("Docker client: " + e.getMessage(), e);
    }
    return pending;
  }

  /**
   * The target release's pre-deployment (expand) migrations, before the stop: for each Flyway
   * database of {@code release} declaring {@code preDeploymentUpTo} that the installed (old)
   * release already has, its migrations folder is read at the release's tag into a temporary folder
   * and the pending versions up to {@code preDeploymentUpTo} are applied to the live database.
   * Empty, without a connection, when the release declares none.
   *
   * @throws DatabaseMigrator.MigrationFailedException naming the database, the failed script and
   *     (its {@code appliedBefore}) the expand migrations that stayed applied
   */
  public List<DatabaseMigrator.Outcome> preDeploy(
      InstalledPlatform installed, ReleaseRepository repository, Release release, String runId)
      throws InterruptedException, java.io.IOException {
    PlatformDescriptor target = repository.descriptor(release);
    List<DatabaseMigrator.Outcome> outcomes = new ArrayList<>();
    List<PlatformDescriptor.Database> declaring =
        target.databases().stream()
            .filter(d -> DatabaseMigrator.Phase.PRE_DEPLOYMENT.range(d.migrations()).isPresent())
            .filter(d -> installed.descriptor().database(d.id()).isPresent())
            .toList();
    if (declaring.isEmpty()) {
      return outcomes;
    }
    try (DockerClient docker = DockerClients.local()) {
      for (PlatformDescriptor.Database db : declaring) {
        PlatformDescriptor.Database live = installed.descriptor().database(db.id()).orElseThrow();
        DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, live, docker);
        Path folder = Files.createTempDirectory("upshift-pre-deployment-");
        try {
          repository.extract(release, db.migrations().location(), folder);
          outcomes.add(
              DatabaseMigrator.migrate(
                  docker,
                  new DatabaseMigrator.Target(
                      db,
                      endpoint.jdbcUrl(),
                      endpoint.user(),
                      endpoint.password(),
                      folder,
                      null,
                      null,
                      null,
                      containerName("upshift-premigrate", runId, db.id()),
                      Map.of(CommandMigrator.LABEL, runId)),
                  DatabaseMigrator.Phase.PRE_DEPLOYMENT));
        } finally {
          io.upshift.storage.FileTrees.deleteRecursively(folder);
        }
      }
    }
    return outcomes;
  }

  /** The databases to migrate: all, or those named; an unknown id is an error naming the ids. */
  public static List<PlatformDescriptor.Database> databases(
      InstalledPlatform installed, List<String> only) {
    List<PlatformDescriptor.Database> all = installed.descriptor().databases();
    if (only == null || only.isEmpty() || only.equals(List.of("all"))) {
      return all;
    }
    List<String> ids = all.stream().map(PlatformDescriptor.Database::id).toList();
    for (String id : only) {
      if (!ids.contains(id)) {
        throw new IllegalArgumentException(
            "databases: '" + id + "' is not a database of " + installed.name() + "; known: " + ids);
      }
    }
    return all.stream().filter(d -> only.contains(d.id())).toList();
  }

  /** How to migrate one database of the live platform. */
  static DatabaseMigrator.Target target(
      InstalledPlatform installed,
      PlatformDescriptor.Database db,
      String runId,
      DockerClient docker) {
    DatabaseEndpoints.Endpoint endpoint = DatabaseEndpoints.resolve(installed, db, docker);
    Path workDir = installed.registration().workingDirectory();
    PlatformDescriptor.Migrations m = db.migrations();
    ComposeServiceSpec service = null;
    String network = null;
    CommandMigrator.Placeholders placeholders = null;
    if (m != null && m.isCommand()) {
      PlatformDescriptor.Compose compose = installed.descriptor().compose();
      service =
          ComposeServiceSpec.read(
              workDir,
              compose.file(),
              m.service(),
              installed.env(),
              compose.envFile() == null ? ".env" : compose.envFile());
      String project = installed.registration().composeProject();
      network = CommandMigrator.platformNetwork(docker, project, db.service());
      // Seen from the platform's network: the database service by name, on its container port.
      int containerPort = db.publishedOnHost() ? 5432 : endpoint.port();
      placeholders =
          new CommandMigrator.Placeholders(
              db.service(), containerPort, endpoint.name(), endpoint.user(), endpoint.password());
    }
    return new DatabaseMigrator.Target(
        db,
        endpoint.jdbcUrl(),
        endpoint.user(),
        endpoint.password(),
        m == null || m.location() == null ? null : workDir.resolve(m.location()),
        service,
        network,
        placeholders,
        containerName("upshift-migrate", runId, db.id()),
        Map.of(CommandMigrator.LABEL, runId));
  }

  /** A Docker container name from a prefix, a run id and a database id. */
  static String containerName(String prefix, String runId, String databaseId) {
    return (prefix + "-" + runId + "-" + databaseId).replaceAll("[^a-zA-Z0-9_.-]", "-");
  }
}
