package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.DockerClients;
import io.upshift.migration.CommandMigrator;
import io.upshift.migration.ComposeServiceSpec;
import io.upshift.migration.DatabaseMigrator;
import io.upshift.migration.PlatformMigrations;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.DescriptorReader;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformRegistry;
import io.upshift.support.LedgerDeployment;
import io.upshift.support.LedgerPlatform;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger platform (descriptorVersion 2: {@code ledger} by Flyway, {@code files} by its own
 * {@code ledger-migrate}, its own PostgreSQL image that creates databases from LEDGER_DATABASES and
 * knows no POSTGRES_DB, no published port): its 1.1.0 migrations are rehearsed on a scratch server
 * built from its db service definition, with both dumps restored and ledger-migrate run from the
 * 1.1.0 app image on the scratch network, while the live databases stay at 1.0.0; then the
 * cutover's migrations run for real on the platform's network and reach each database's required
 * version.
 */
class LedgerMigrationRehearsalIT {

  @TempDir static Path scratch;
  static LedgerDeployment ledger;
  static LedgerDeployment target;

  @BeforeAll
  static void install() throws Exception {
    Path repository = LedgerPlatform.repository();
    ledger =
        new LedgerDeployment(repository, "v2mig", scratch.resolve("platform")).checkout("1.0.0");
    ledger.install();
    // The 1.1.0 release's files, as the rehearsal reads them (migrations, compose file).
    target =
        new LedgerDeployment(repository, "v2migtarget", scratch.resolve("target"))
            .checkout("1.1.0");
  }

  @AfterAll
  static void remove() {
    if (ledger != null) {
      ledger.close();
    }
  }

  static InstalledPlatform installed(LedgerDeployment deployment, String version) throws Exception {
    Path file = LedgerPlatform.descriptors().resolve(version).resolve("upshift.yaml");
    PlatformDescriptor descriptor = DescriptorReader.read(Files.readString(file), file.toString());
    return new InstalledPlatform(
        "ledger",
        new PlatformRegistry.Registration(
            LedgerPlatform.repository().toUri().toString(), deployment.directory, ledger.project),
        descriptor,
        deployment.env());
  }

  @Test
  void rehearsedOnAScratchServerOfItsOwnImageThenMigratedForReal() throws Exception {
    String runId = "it-ledger-1";
    InstalledPlatform at100 = installed(ledger, "1.0.0");
    InstalledPlatform to110 = installed(target, "1.1.0");
    String password = at100.env().require("LEDGER_DB_PASSWORD");
    Map<String, String> timings = new LinkedHashMap<>();
    try (DockerClient docker = DockerClients.local()) {
      String db = BackupService.runningContainer(docker, ledger.project, "db");
      Map<String, Path> dumps = new LinkedHashMap<>();
      for (String name : List.of("ledger", "files")) {
        Path dump = scratch.resolve(name + ".dump");
        try (OutputStream out = Files.newOutputStream(dump)) {
          var r =
              ContainerExec.run(
                  docker, db, List.of("pg_dump", "-Fc", "-U", "postgres", "-d", name), out, 5);
          assertThat(r.exitCode()).as(r.stderr()).isZero();
        }
        dumps.put(name, dump);
      }

      ComposeServiceSpec dbService =
          ComposeServiceSpec.read(
              ledger.directory, "docker-compose.yml", "db", at100.env(), ".env");
      assertThat(dbService.environment())
          .containsEntry("LEDGER_DATABASES", "ledger,files")
          .doesNotContainKeys("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD");
      String network = ScratchServer.network(docker, runId, RehearsalService.SCRATCH_LABEL);
      long t0 = System.nanoTime();
      try (ScratchServer server =
          ScratchServer.start(
              docker,
              dbService,
              dbService.image(),
              network,
              "upshift-rehearsal-" + runId + "-db",
              Map.of(RehearsalService.SCRATCH_LABEL, runId),
              5432,
              "postgres",
              password)) {
        server.awaitReady();
        timings.put("scratch server ready", ms(t0));
        for (PlatformDescriptor.Database database : at100.descriptor().databases()) {
          String name = database.resolveName(at100.env());
          long t = System.nanoTime();
          server.createDatabase(name);
          var restored = server.restore(dumps.get(name), name, 10);
          assertThat(restored.exitCode()).as(restored.stderr()).isZero();
          timings.put("restore " + name, ms(t));
          DatabaseEndpoints.Endpoint live = DatabaseEndpoints.resolve(at100, database, docker);
          assertThat(RehearsalService.rowCounts(server.jdbcUrl(name), "postgres", password))
              .as(name)
              .isEqualTo(RehearsalService.rowCounts(live.jdbcUrl(), live.user(), live.password()));
        }
        for (PlatformDescriptor.Database database : to110.descriptor().databases()) {
          String name = database.resolveName(to110.env());
          ComposeServiceSpec service =
              database.migrations().isCommand()
                  ? ComposeServiceSpec.read(
                      target.directory,
                      "docker-compose.yml",
                      database.migrations().service(),
                      to110.env(),
                      ".env")
                  : null;
          DatabaseMigrator.Outcome outcome =
              DatabaseMigrator.migrate(
                  docker,
                  new DatabaseMigrator.Target(
                      database,
                      server.jdbcUrl(name),
                      "postgres",
                      password,
                      target.directory.resolve("migrations/ledger"),
                      service,
                      server.network,
                      new CommandMigrator.Placeholders(
                          server.alias, server.port, name, "postgres", password),
                      "upshift-rehearsal-" + runId + "-" + database.id(),
                      Map.of(RehearsalService.SCRATCH_LABEL, runId)));
          timings.put("rehearsed migration " + database.id(), outcome.summary());
          assertThat(outcome.schemaVersion()).as(database.id()).isEqualTo("2");
          if (database.migrations().isCommand()) {
            assertThat(service.image()).endsWith("/upshift-ledger/app:1.1.0");
            assertThat(outcome.exitCode()).isZero();
            assertThat(outcome.outputTail()).doesNotContain(password);
          }
        }
      } finally {
        ScratchServer.removeAll(docker, runId, List.of(RehearsalService.SCRATCH_LABEL));
      }
      assertThat(
              docker
                  .listContainersCmd()
                  .withShowAll(true)
                  .withLabelFilter(Map.of(RehearsalService.SCRATCH_LABEL, runId))
                  .exec())
          .isEmpty();
      // The rehearsal left the live databases at 1.0.0.
      assertThat(version(at100, "ledger", "SELECT max(version) FROM flyway_schema_history"))
          .isEqualTo("1");
      assertThat(version(at100, "files", "SELECT version FROM ledger_migrate_version"))
          .isEqualTo("1");

      // The cutover: applications stopped, 1.1.0 checked out (with its new variable), migrated.
      ledger.compose("stop", "api", "worker", "manager");
      Files.writeString(
          ledger.directory.resolve(".env"), "\nLEDGER_CURRENCY=EUR\n", StandardOpenOption.APPEND);
      ledger.checkout("1.1.0");
      InstalledPlatform cutover = installed(ledger, "1.1.0");
      List<DatabaseMigrator.Outcome> outcomes =
          new PlatformMigrations().migrate(cutover, runId, List.of());
      outcomes.forEach(o -> timings.put("migration " + o.database(), o.summary()));
      assertThat(outcomes)
          .extracting(DatabaseMigrator.Outcome::database)
          .containsExactly("ledger", "files");
      assertThat(outcomes).allSatisfy(o -> assertThat(o.schemaVersion()).isEqualTo("2"));
      assertThat(outcomes.get(0).tool()).isEqualTo("flyway");
      assertThat(outcomes.get(0).applied()).isNotEmpty();
      assertThat(outcomes.get(1).tool()).isEqualTo("command");
      assertThat(outcomes.get(1).exitCode()).isZero();
      assertThat(
              docker
                  .listContainersCmd()
                  .withShowAll(true)
                  .withLabelFilter(Map.of(CommandMigrator.LABEL, runId))
                  .exec())
          .isEmpty();
    } finally {
      timings.forEach((k, v) -> System.out.println("ledger timing: " + k + ": " + v));
    }
  }

  static String ms(long started) {
    return (System.nanoTime() - started) / 1_000_000 + " ms";
  }

  static String version(InstalledPlatform installed, String id, String sql) throws Exception {
    try (DockerClient docker = DockerClients.local()) {
      var endpoint =
          DatabaseEndpoints.resolve(
              installed, installed.descriptor().database(id).orElseThrow(), docker);
      try (Connection c =
              io.upshift.platform.PlatformConnections.open(
                  endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
          ResultSet rs = c.createStatement().executeQuery(sql)) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
