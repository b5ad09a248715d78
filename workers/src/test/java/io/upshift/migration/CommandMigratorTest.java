package io.upshift.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.platform.DescriptorException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts of running a platform's own migration tool. */
class CommandMigratorTest {

  static final CommandMigrator.Placeholders SCRATCH =
      new CommandMigrator.Placeholders("db", 5432, "files", "postgres", "p@ss:word");

  @Test
  void environmentTemplatesAreFilledWithTheDatabase() {
    Map<String, String> templates = new LinkedHashMap<>();
    templates.put("FILES_DATABASE_URL", "postgresql://{user}:{password}@{host}:{port}/{name}");
    templates.put("PGHOST", "{host}");
    templates.put("LITERAL", "no placeholders");

    Map<String, String> filled =
        CommandMigrator.fill(templates, SCRATCH, "databases[files].migrations");

    assertThat(filled)
        .containsExactly(
            Map.entry("FILES_DATABASE_URL", "postgresql://postgres:p@ss:word@db:5432/files"),
            Map.entry("PGHOST", "db"),
            Map.entry("LITERAL", "no placeholders"));
    assertThat(SCRATCH.toString()).doesNotContain("p@ss");
  }

  @Test
  void anUnknownPlaceholderNamesTheFieldAndWhatIsAllowed() {
    assertThatThrownBy(
            () ->
                CommandMigrator.fill(
                    Map.of("URL", "postgresql://{username}@{host}"),
                    SCRATCH,
                    "databases[files].migrations"))
        .isInstanceOf(DescriptorException.class)
        .hasMessage(
            "databases[files].migrations.environment.URL: unknown placeholder {username};"
                + " allowed: {host}, {port}, {name}, {user}, {password}");
  }

  @Test
  void theServiceEnvironmentIsKeptAndTheMigrationVariablesWin() {
    ComposeServiceSpec api =
        new ComposeServiceSpec(
            "api",
            "app:1",
            null,
            null,
            Map.of("FILES_DATABASE_URL", "postgresql://live@db/files", "LOG_LEVEL", "INFO"));

    Map<String, String> env =
        DatabaseMigrator.commandEnvironment(
            api,
            Map.of("FILES_DATABASE_URL", "postgresql://{user}@{host}:{port}/{name}"),
            SCRATCH,
            "databases[files].migrations");

    assertThat(env)
        .containsEntry("LOG_LEVEL", "INFO")
        .containsEntry("FILES_DATABASE_URL", "postgresql://postgres@db:5432/files");
  }

  @Test
  void theOutputTailKeepsTheLastFourKilobytesFromALineStart() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      out.append("line ").append(i).append('\n');
    }
    String tail = CommandMigrator.tail(out.toString().strip());

    assertThat(tail).startsWith("...\nline ").endsWith("line 999");
    assertThat(tail.length()).isLessThanOrEqualTo(CommandMigrator.OUTPUT_TAIL_BYTES + 3);
    assertThat(CommandMigrator.tail("short")).isEqualTo("short");
  }

  @Test
  void secretsAreBlankedOutOfTheOutput() {
    assertThat(
            CommandMigrator.redact(
                "connecting to postgresql://postgres:s3cret@db/files", List.of("s3cret")))
        .isEqualTo("connecting to postgresql://postgres:***@db/files");
  }

  @Test
  void schemaVersionsCompareNumericallyOrExactly() {
    assertThat(DatabaseMigrator.satisfies("3", "3")).isTrue();
    assertThat(DatabaseMigrator.satisfies("3.2", "3.10")).isFalse();
    assertThat(DatabaseMigrator.satisfies("10", "9")).isTrue();
    assertThat(DatabaseMigrator.satisfies("0003", "3")).isTrue();
    assertThat(DatabaseMigrator.satisfies("ae1027a6acf", "ae1027a6acf")).isTrue();
    assertThat(DatabaseMigrator.satisfies("ae1027a6acf", "27c6a30d7c24")).isFalse();
    assertThat(DatabaseMigrator.satisfies(null, "1")).isFalse();
  }
}
