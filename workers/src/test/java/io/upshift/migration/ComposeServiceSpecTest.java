package io.upshift.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service of a compose file as compose runs it: image and environment, with the .env applied. */
class ComposeServiceSpecTest {

  static final String COMPOSE =
      """
      x-app: &app
        image: ${UPSHIFT_REGISTRY:-localhost:5000}/ledger/app:1.1.0
        env_file: .env
        environment:
          FILES_DATABASE_URL: postgresql://postgres:${LEDGER_DB_PASSWORD:?set it}@db:5432/files
          LEDGER_CURRENCY: ${LEDGER_CURRENCY:-EUR}
      services:
        db:
          image: ${UPSHIFT_REGISTRY:-localhost:5000}/ledger/postgres:15
          command: postgres -c max_connections=50
          environment:
            - LEDGER_DATABASES=ledger,files
            - LEDGER_DB_PASSWORD=${LEDGER_DB_PASSWORD}
            - PASSED_THROUGH
        api:
          <<: *app
          command: ["ledger-app", "serve"]
        tool:
          image: busybox:${TOOL_TAG}
          entrypoint: ["python3"]
          environment:
            DEBUG: true
            WORKERS: 4
        built:
          build: .
      """;

  static final EnvFile ENV =
      EnvFile.parse(
          "LEDGER_DB_PASSWORD=s3cret\nPASSED_THROUGH=yes\nTOOL_TAG=1.36\nAPI_PORT=18480\n");

  @Test
  void mergeKeysAndAnchorsAreResolvedLikeCompose() {
    ComposeServiceSpec api =
        ComposeServiceSpec.of(COMPOSE, "compose.yml", "api", ENV, null, ".env");

    assertThat(api.image()).isEqualTo("localhost:5000/ledger/app:1.1.0");
    assertThat(api.command()).containsExactly("ledger-app", "serve");
    assertThat(api.entrypoint()).isNull();
    // env_file .env first, environment wins
    assertThat(api.environment())
        .containsEntry("API_PORT", "18480")
        .containsEntry("FILES_DATABASE_URL", "postgresql://postgres:s3cret@db:5432/files")
        .containsEntry("LEDGER_CURRENCY", "EUR");
    assertThat(api.toString()).doesNotContain("s3cret");
  }

  @Test
  void listEnvironmentStringCommandAndPassThrough() {
    ComposeServiceSpec db = ComposeServiceSpec.of(COMPOSE, "compose.yml", "db", ENV, null, ".env");

    assertThat(db.image()).isEqualTo("localhost:5000/ledger/postgres:15");
    assertThat(db.command()).containsExactly("postgres", "-c", "max_connections=50");
    assertThat(db.environment())
        .containsOnlyKeys("LEDGER_DATABASES", "LEDGER_DB_PASSWORD", "PASSED_THROUGH")
        .containsEntry("LEDGER_DATABASES", "ledger,files")
        .containsEntry("PASSED_THROUGH", "yes");
    assertThat(db.environmentEntries()).contains("LEDGER_DATABASES=ledger,files");
  }

  @Test
  void scalarsEntrypointAndTheRegistryFromTheEnvFile() {
    EnvFile env = EnvFile.parse("TOOL_TAG=1.36\nUPSHIFT_REGISTRY=registry.internal:5000\n");

    ComposeServiceSpec tool =
        ComposeServiceSpec.of(COMPOSE, "compose.yml", "tool", env, null, ".env");
    ComposeServiceSpec api =
        ComposeServiceSpec.of(COMPOSE, "compose.yml", "api", env, null, ".env");

    assertThat(tool.image()).isEqualTo("busybox:1.36");
    assertThat(tool.entrypoint()).containsExactly("python3");
    assertThat(tool.environment()).containsEntry("DEBUG", "true").containsEntry("WORKERS", "4");
    assertThat(api.image()).isEqualTo("registry.internal:5000/ledger/app:1.1.0");
  }

  @Test
  void otherEnvFilesAreReadFromThePlatformDirectory(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("app.env"), "FROM_FILE=1\nLEDGER_CURRENCY=USD\n");
    String compose =
        """
        services:
          api:
            image: app:1
            env_file: [app.env]
            environment:
              LEDGER_CURRENCY: CHF
        """;

    ComposeServiceSpec api = ComposeServiceSpec.of(compose, "compose.yml", "api", ENV, dir, ".env");

    assertThat(api.environment())
        .containsEntry("FROM_FILE", "1")
        .containsEntry("LEDGER_CURRENCY", "CHF")
        .doesNotContainKey("LEDGER_DB_PASSWORD");
  }

  @Test
  void missingServiceImageOrEnvFileNamesTheProblem(@TempDir Path dir) {
    assertThatThrownBy(
            () -> ComposeServiceSpec.of(COMPOSE, "compose.yml", "nope", ENV, dir, ".env"))
        .isInstanceOf(DescriptorException.class)
        .hasMessageContaining("compose.yml has no service 'nope'")
        .hasMessageContaining("api");
    assertThatThrownBy(
            () -> ComposeServiceSpec.of(COMPOSE, "compose.yml", "built", ENV, dir, ".env"))
        .hasMessageContaining("service 'built' has no image");
    assertThatThrownBy(
            () ->
                ComposeServiceSpec.of(
                    "services:\n  a:\n    image: x\n    env_file: gone.env\n",
                    "compose.yml",
                    "a",
                    ENV,
                    dir,
                    ".env"))
        .hasMessageContaining("env_file gone.env of service 'a' does not exist");
  }
}
