package io.upshift.support;

import com.github.dockerjava.api.DockerClient;
import io.upshift.backup.ContainerExec;
import io.upshift.compose.ComposeCli;
import io.upshift.compose.DockerClients;
import io.upshift.platform.DescriptorReader;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A small descriptor-v2 platform on real containers for the migration and rehearsal tests: one
 * PostgreSQL service of the demo's own image configured WITHOUT the official image's database
 * variables (no POSTGRES_DB, no POSTGRES_USER: the image's superuser {@code postgres}, databases
 * created by hand), no port published to the host, and a {@code tools} service of the demo backend
 * image whose Python (with psycopg2) is the platform's "own migration tool". The {@code files}
 * database is migrated by a command; nothing about it is Flyway.
 */
public final class StorePlatform implements AutoCloseable {

  public static final String PASSWORD = "it-store-s3cret";

  static final String COMPOSE =
      """
      services:
        db:
          image: ${UPSHIFT_REGISTRY:-localhost:5000}/upshift-demo/postgres:15
          environment:
            POSTGRES_PASSWORD: ${STORE_DB_PASSWORD:?STORE_DB_PASSWORD must be set}
        tools:
          image: ${UPSHIFT_REGISTRY:-localhost:5000}/upshift-demo/backend:${TOOLS_TAG:-1.1.0}
          entrypoint: []
          command: ["sleep", "infinity"]
          environment:
            STORE_RELEASE: "1.0.0"
      """;

  /** A migration script of the platform's own "tool": idempotent, with its own version table. */
  public static String migrationScript(String version, String extra) {
    return String.join(
        "\n",
        "import os, sys, time, psycopg2",
        "url = os.environ['FILES_DATABASE_URL']",
        "print('migrating', url, 'release', os.environ.get('STORE_RELEASE'))",
        "c = psycopg2.connect(url)",
        "cur = c.cursor()",
        "cur.execute('CREATE TABLE IF NOT EXISTS tool_version (version int PRIMARY KEY)')",
        "cur.execute('CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text)')",
        "if " + version + " >= 3:",
        "    cur.execute('ALTER TABLE notes ADD COLUMN IF NOT EXISTS author text')",
        "cur.execute('INSERT INTO tool_version VALUES (%s) ON CONFLICT DO NOTHING', ("
            + version
            + ",))",
        "c.commit()",
        extra,
        "print('files schema at', " + version + ", 'reached', url.split('@')[1])");
  }

  public static String descriptor(String script, String requiredVersion, int timeoutSeconds) {
    return """
        descriptorVersion: 2
        platform:
          name: store
          version: "1.0.0"
        compose:
          file: docker-compose.yml
          envFile: .env
        services:
          - name: tools
            role: application
            stopOrder: 1
          - name: db
            role: database
            stopOrder: 2
        databases:
          - id: files
            service: db
            engine: postgresql
            name: files
            password: { env: STORE_DB_PASSWORD }
            migrations:
              tool: command
              service: tools
              command: ["python3", "-c", %s]
              timeoutSeconds: %d
              environment:
                FILES_DATABASE_URL: "postgresql://{user}:{password}@{host}:{port}/{name}"
              versionQuery: "SELECT max(version)::text FROM tool_version"
            requiredSchemaVersion: "%s"
            protectedTables: [notes]
        upgrade:
          from: []
        """
        .formatted(quote(script), timeoutSeconds, requiredVersion);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  public final Path directory;
  public final String project;
  private final ComposeCli compose = ComposeCli.detect();

  public StorePlatform(Path directory, String name) throws IOException {
    DemoPlatform.repository(); // the demo images, built offline and reused by tag
    this.directory = directory;
    this.project = DemoPlatform.project(name);
    Files.writeString(directory.resolve("docker-compose.yml"), COMPOSE);
    Files.writeString(directory.resolve(".env"), "STORE_DB_PASSWORD=" + PASSWORD + "\n");
  }

  /** Starts the database service and creates the {@code files} database in it. */
  public StorePlatform start() throws InterruptedException {
    compose("up", "-d", "db");
    try (DockerClient docker = DockerClients.local()) {
      String container = io.upshift.backup.BackupService.runningContainer(docker, project, "db");
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (true) {
        var r =
            ContainerExec.run(
                docker,
                container,
                List.of("pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"),
                new ByteArrayOutputStream(),
                1);
        if (r.exitCode() == 0) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("db of " + project + " not ready");
        }
        Thread.sleep(500);
      }
      var created =
          ContainerExec.run(
              docker,
              container,
              List.of("createdb", "-U", "postgres", "files"),
              new ByteArrayOutputStream(),
              1);
      if (created.exitCode() != 0) {
        throw new IllegalStateException("createdb files: " + created.stderr());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return this;
  }

  public InstalledPlatform installed(String descriptorYaml) throws IOException {
    Files.writeString(directory.resolve("upshift.yaml"), descriptorYaml);
    PlatformDescriptor descriptor = DescriptorReader.read(descriptorYaml, "store upshift.yaml");
    return new InstalledPlatform(
        "store",
        new PlatformRegistry.Registration("file:///nowhere", directory, project),
        descriptor,
        EnvFile.read(directory.resolve(".env")));
  }

  public String compose(String... args) {
    return compose
        .run(directory, project, "docker-compose.yml", Duration.ofMinutes(5), List.of(args))
        .output();
  }

  @Override
  public void close() {
    try {
      compose("down", "-v", "--remove-orphans");
    } catch (RuntimeException e) {
      // leftovers are removed by label at the next start (DemoPlatform.removeLeftovers)
    }
  }
}
