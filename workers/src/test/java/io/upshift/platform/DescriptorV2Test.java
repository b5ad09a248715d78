package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** descriptorVersion 2: the reference's own example reads, and every mistake names its field. */
class DescriptorV2Test {

  /** The complete example of docs/descriptor.md, so the reference cannot drift from the reader. */
  static String referenceExample() throws IOException {
    String doc = Files.readString(Path.of("../docs/descriptor.md"));
    Matcher m =
        Pattern.compile("## Complete example.*?```yaml\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(m.find()).as("docs/descriptor.md has a yaml example").isTrue();
    return m.group(1);
  }

  @Test
  void theReferenceExampleReads() throws IOException {
    PlatformDescriptor d = DescriptorReader.read(referenceExample(), "docs example");

    assertThat(d.databases())
        .extracting(PlatformDescriptor.Database::id)
        .containsExactly("ledger", "files");
    var ledger = d.database("ledger").orElseThrow();
    assertThat(ledger.migrations().isFlyway()).isTrue();
    assertThat(ledger.protectedTables()).containsExactly("receipts");
    var files = d.database("files").orElseThrow();
    assertThat(files.migrations().isCommand()).isTrue();
    assertThat(files.migrations().command()).containsExactly("ledger-migrate", "upgrade");
    assertThat(d.volumes())
        .extracting(PlatformDescriptor.Volume::label)
        .containsExactly("uploads", "./certs");
    assertThat(d.configFiles()).containsExactly("config/", "nginx/nginx.conf");
    assertThat(d.manualSteps()).hasSize(1);
    assertThat(d.hooks().get(0).command()).contains("{previousVersion}");
    assertThat(d.platform().releaseNotesFile()).isEqualTo("RELEASE_NOTES.md");

    EnvFile env =
        new EnvFile(
            Map.of("LEDGER_DB_USER", "ledger", "POSTGRES_PASSWORD", "s3cret", "FILES_DB", "files"));
    assertThat(ledger.resolveName(env)).isEqualTo("ledger");
    assertThat(ledger.resolveUser(env)).isEqualTo("ledger");
    assertThat(ledger.resolvePassword(env)).isEqualTo("s3cret");
    assertThat(ledger.resolvePort(env)).isEqualTo(5432);
    assertThat(files.resolveName(env)).isEqualTo("files");
    assertThat(files.resolveUser(env)).as("default user").isEqualTo("postgres");
    assertThat(files.resolvePassword(env)).isNull();
    assertThat(ledger.publishedOnHost()).isFalse();
  }

  @Test
  void everyLedgerDescriptorReads() throws IOException {
    try (var folders = Files.list(Path.of("../deploy/ledger/descriptors"))) {
      var read =
          folders
              .map(f -> f.resolve("upshift.yaml"))
              .map(
                  f -> {
                    try {
                      return DescriptorReader.read(Files.readString(f), f.toString());
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .toList();
      assertThat(read).hasSizeGreaterThanOrEqualTo(4);
      assertThat(read)
          .allSatisfy(
              d ->
                  assertThat(d.databases())
                      .extracting(PlatformDescriptor.Database::id)
                      .containsExactlyInAnyOrder("ledger", "files"));
    }
  }

  @Test
  void versionOneReadsAsOneDatabaseWithItsChecks() throws IOException {
    PlatformDescriptor d =
        DescriptorReader.read(
            Files.readString(DescriptorReaderTest.RELEASES.resolve("1.1.0/upshift.yaml")), "1.1.0");
    assertThat(d.databases()).hasSize(1);
    var db = d.databases().get(0);
    assertThat(db.id()).isEqualTo(PlatformDescriptor.V1_DATABASE_ID);
    assertThat(db.publishedOnHost()).isTrue();
    assertThat(db.protectedTables()).containsExactly("items", "categories");
    assertThat(db.resolvePort(new EnvFile(Map.of("DB_PORT", "15432")))).isEqualTo(15432);
  }

  @Test
  void mistakesNameTheFieldAndWhatIsAllowed() throws IOException {
    String ok = referenceExample();
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    ok.replace("requiredSchemaVersion: \"2\"", "requiredSchemaVerison: \"2\""),
                    "t1"))
        .hasMessageContaining("t1: field databases[0].requiredSchemaVerison")
        .hasMessageContaining("did you mean 'requiredSchemaVersion'");
    assertThatThrownBy(
            () -> DescriptorReader.read(ok.replace("tool: command", "tool: alembic"), "t2"))
        .hasMessageContaining("databases[1].migrations.tool must be flyway or command");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    ok.replace("password: { env: POSTGRES_PASSWORD }", "password: hunter2"), "t3"))
        .hasMessageContaining("databases[0].password must be a reference");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    ok.replace(
                        "    service: api                      # a one-off",
                        "    service: apii                     # a one-off"),
                    "t4"))
        .hasMessageContaining("databases[1].migrations.service must be one of the services");
    assertThatThrownBy(
            () -> DescriptorReader.read(ok.replace("policy: skip\n", "policy: never\n"), "t5"))
        .hasMessageContaining("volumes[1].policy must be one of stopped, live, skip");
    assertThatThrownBy(
            () -> DescriptorReader.read(ok.replace("- migrate: all", "- migrate: [nope]"), "t6"))
        .hasMessageContaining("stages[1].migrate: unknown [nope]");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    ok.replace("name: { env: FILES_DB }", "name: { env: FILES_DB, other: x }"),
                    "t7"))
        .hasMessageContaining("databases[1].name")
        .hasMessageContaining("{env: VARIABLE_NAME}");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    ok.replace("descriptorVersion: 2", "descriptorVersion: 1"), "t8"))
        .hasMessageContaining("descriptorVersion 2 keys");
    assertThatThrownBy(() -> new EnvFile(Map.of()).require("X")).isNotNull();
    var files = DescriptorReader.read(ok, "t9").database("files").orElseThrow();
    assertThatThrownBy(() -> files.resolveName(new EnvFile(Map.of())))
        .hasMessageContaining("databases[files].name refers to FILES_DB");
  }

  @Test
  void onlyFlywayDatabasesSplitTheirMigrationsAroundTheDowntime() throws IOException {
    String ok = referenceExample();
    String split =
        ok.replace(
            "      historyTable: flyway_schema_history\n",
            "      historyTable: flyway_schema_history\n"
                + "      preDeploymentUpTo: \"1.1\"\n"
                + "      postDeploymentFrom: \"2\"\n");
    assertThat(split).isNotEqualTo(ok);
    PlatformDescriptor.Migrations m =
        DescriptorReader.read(split, "split").databases().get(0).migrations();
    assertThat(m.preDeploymentUpTo()).isEqualTo("1.1");
    assertThat(m.postDeploymentFrom()).isEqualTo("2");

    String command =
        ok.replace("      tool: command", "      tool: command\n      postDeploymentFrom: \"4\"");
    assertThatThrownBy(() -> DescriptorReader.read(command, "command"))
        .isInstanceOf(DescriptorException.class)
        .hasMessageContaining(
            "databases[1].migrations.postDeploymentFrom is only allowed with tool flyway")
        .hasMessageContaining("remove it or use tool: flyway");
  }
}
