package io.upshift.paths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;

/**
 * Generates a platform release repository with JGit: one tag per release, each with {@code
 * upshift.yaml}, a compose file naming the database image and its Flyway migrations; maintenance
 * lines on branches of their own ({@code 3.15}), the newest line on {@code main}.
 */
final class CatalogRepo {

  static final String IMAGE = "localhost:5000/upshift-demo/postgres:15";

  /** Seed 002's migrations: 2.1 is the bugfix made on master and backported to 3.15.3. */
  static final Map<String, String> SQL =
      Map.of(
          "V1__create_repository.sql",
          "CREATE TABLE repository (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);\n",
          "V2__content_guard.sql",
          "CREATE TABLE content_guard (id BIGSERIAL PRIMARY KEY,"
              + " repository_id BIGINT REFERENCES repository (id));\n",
          "V2_1__bmbouter_test.sql",
          "-- the bugfix, backported to 3.15.3\n"
              + "ALTER TABLE repository ADD COLUMN retain_versions INTEGER;\n"
              + "CREATE INDEX repository_name_idx ON repository (name);\n",
          "V3__remove_reserved_resource.sql",
          "CREATE TABLE task (id BIGSERIAL PRIMARY KEY, state TEXT NOT NULL);\n",
          "V4__task_groups.sql",
          "ALTER TABLE task ADD COLUMN group_id BIGINT;\n");

  static final String POLICY =
      "{line: minor, withinLine: consecutive, leaveLine: any, skipLines: false}";

  private final Path dir;
  private final Git git;
  private final Map<String, String> branches = new LinkedHashMap<>();

  CatalogRepo(Path dir) throws GitAPIException, IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    this.git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call();
  }

  String url() {
    return dir.toUri().toString();
  }

  /**
   * Commits a release on its line's branch and tags it.
   *
   * @param migrations file name -> SQL
   */
  CatalogRepo release(String version, String branch, String policy, Map<String, String> migrations)
      throws IOException, GitAPIException {
    boolean exists = git.getRepository().findRef(Constants.R_HEADS + branch) != null;
    boolean empty = git.getRepository().resolve(Constants.HEAD) == null;
    if (!empty) {
      git.checkout().setName(branch).setCreateBranch(!exists).setForced(true).call();
    }
    Path folder = dir.resolve("migrations");
    if (Files.isDirectory(folder)) {
      try (var files = Files.list(folder)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
    }
    Files.createDirectories(folder);
    for (var m : migrations.entrySet()) {
      Files.writeString(folder.resolve(m.getKey()), m.getValue());
    }
    Files.writeString(dir.resolve("upshift.yaml"), descriptor(version, policy));
    Files.writeString(
        dir.resolve("docker-compose.yml"),
        "services:\n  db:\n    image: ${UPSHIFT_REGISTRY:-localhost:5000}/upshift-demo/postgres:15\n");
    git.add().addFilepattern(".").call();
    git.add().addFilepattern(".").setUpdate(true).call();
    git.commit()
        .setMessage("Release " + version)
        .setAuthor("t", "t@example.org")
        .setCommitter("t", "t@example.org")
        .call();
    if (empty && !branch.equals("main")) {
      git.branchRename().setNewName(branch).call();
    }
    Ref tag = git.tag().setName(version).call();
    branches.put(version, branch);
    return this;
  }

  CatalogRepo release(String version, String branch, List<String> files)
      throws IOException, GitAPIException {
    Map<String, String> migrations = new LinkedHashMap<>();
    files.forEach(f -> migrations.put(f, SQL.get(f)));
    return release(version, branch, POLICY, migrations);
  }

  static String descriptor(String version, String policy) {
    return """
        descriptorVersion: 1
        platform: {name: pulp, version: "%s"}
        compose: {file: docker-compose.yml}
        services:
          - {name: db, role: database, stopOrder: 1}
        database:
          service: db
          engine: postgresql
          variables: {name: POSTGRES_DB, user: POSTGRES_USER, password: POSTGRES_PASSWORD, port: DB_PORT}
          migrations: {tool: flyway, location: migrations}
        upgrade:
          policy: %s
        """
        .formatted(version, policy);
  }

  /** Seed 002's catalog: 3.15.2, 3.15.3 with the backport 2.1, 3.16.0 with it and newer ones. */
  static CatalogRepo seed002(Path dir) throws IOException, GitAPIException {
    return new CatalogRepo(dir)
        .release("3.15.2", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
        .release(
            "3.16.0",
            "main",
            List.of(
                "V1__create_repository.sql",
                "V2__content_guard.sql",
                "V2_1__bmbouter_test.sql",
                "V3__remove_reserved_resource.sql",
                "V4__task_groups.sql"))
        .release(
            "3.15.3",
            "3.15",
            List.of(
                "V1__create_repository.sql", "V2__content_guard.sql", "V2_1__bmbouter_test.sql"));
  }
}
