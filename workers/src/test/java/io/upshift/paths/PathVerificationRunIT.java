package io.upshift.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.run.RunView;
import io.upshift.support.DemoPlatform;
import io.upshift.support.TestUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The path-verification runbook through the whole service on the real engine: a good catalog
 * completes with the matrix as the step summary, a catalog with a lost backport ends failed at
 * "Upgrade paths diverge" naming the path and the migration.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/path-verification",
      TestUsers.PROFILE
    })
class PathVerificationRunIT {

  @Autowired TestRestTemplate rest;

  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    DemoPlatform.repository(); // the PostgreSQL image, built offline when missing
    Path dir = Files.createTempDirectory("upshift-paths-run-it");
    CatalogRepo good = CatalogRepo.seed002(dir.resolve("good"));
    CatalogRepo lost =
        new CatalogRepo(dir.resolve("lost"))
            .release(
                "3.14.6",
                "3.14",
                List.of(
                    "V1__create_repository.sql",
                    "V2__content_guard.sql",
                    "V2_1__bmbouter_test.sql"))
            .release(
                "3.15.3", "3.15", List.of("V1__create_repository.sql", "V2__content_guard.sql"))
            .release(
                "3.16.0",
                "main",
                List.of(
                    "V1__create_repository.sql",
                    "V2__content_guard.sql",
                    "V2_1__bmbouter_test.sql",
                    "V3__remove_reserved_resource.sql",
                    "V4__task_groups.sql"));
    registry.add("upshift.platforms.pulp.repository", good::url);
    registry.add("upshift.platforms.pulp.working-directory", () -> dir.resolve("w1").toString());
    registry.add("upshift.platforms.pulp-lost.repository", lost::url);
    registry.add(
        "upshift.platforms.pulp-lost.working-directory", () -> dir.resolve("w2").toString());
  }

  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  @Test
  void everyPathOfAGoodCatalogIsVerified() {
    RunView run = startAndAwait(Map.of("platform", "pulp", "from", "3.15.2"));

    assertThat(run.state()).as(run.toString()).isEqualTo("completed");
    assertThat(run.currentElement()).isEqualTo("EveryPathVerified");
    assertThat(run.steps())
        .singleElement()
        .satisfies(
            step -> {
              assertThat(step.jobType()).isEqualTo("upshift.paths.verify");
              assertThat(step.summary())
                  .contains("3.15.2 -> 3.15.3 -> 3.16.0")
                  .contains("3.15.2 -> 3.16.0")
                  .contains("fresh 3.16.0")
                  .contains("RESULT: PASS");
            });
  }

  @Test
  void aLostBackportEndsTheRunAtPathsDiverge() {
    RunView run = startAndAwait(Map.of("platform", "pulp-lost"));

    assertThat(run.state()).as(run.toString()).isEqualTo("failed");
    assertThat(run.currentElement()).isEqualTo("UpgradePathsDiverge");
    assertThat(run.outcomeMessage())
        .contains("1 of 3 upgrade paths diverge")
        .contains("3.14.6 -> 3.15.3 -> 3.16.0")
        .contains("LOST: migration 2.1 (bmbouter test) applied by 3.14.6 is missing from 3.15.3");
  }

  @Test
  void badInputIsRejectedNamingTheFields() {
    ResponseEntity<Map> response =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "path-verification",
                "variables",
                Map.of("platform", "nope", "from", "3.16", "to", "3.15.2")),
            Map.class);

    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(response.getBody().toString())
        .contains("variables.platform")
        .contains("variables.from");
  }

  private RunView startAndAwait(Map<String, Object> variables) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "path-verification", "variables", variables),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = started.getBody().id();
    return await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> rest.getForObject("/api/runs/" + id, RunView.class),
            run -> !run.state().equals("active"));
  }
}
