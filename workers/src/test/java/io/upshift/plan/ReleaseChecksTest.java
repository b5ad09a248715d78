package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.platform.DescriptorReader;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.Release;
import io.upshift.platform.Version;
import io.upshift.preflight.PreflightChecksAccess;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The plan's checks of a release against its own compose file and .env template, before any backup:
 * references the compose file lacks, what "started" means per service, configuration drift.
 */
class ReleaseChecksTest {

  static final String COMPOSE =
      """
      services:
        db:
          image: pg
          volumes: [pgdata:/var/lib/postgresql/data]
        api:
          image: "app:${APP_TAG:-1}"
          environment:
            SECRET: ${API_SECRET:?API_SECRET must be set}
          healthcheck:
            test: ["CMD", "true"]
          volumes:
            - uploads:/data/uploads
            - ./certs:/certs:ro
        worker:
          image: app
          healthcheck:
            disable: true
      volumes:
        pgdata: {}
        uploads: {}
      """;

  static final String TEMPLATE =
      """
      DB_PASSWORD=change-me
      API_PORT=8080
      API_SECRET=
      LOG_FORMAT=json
      QUEUE_NAME=
      NEW_FEATURE=on
      """;

  static PlatformDescriptor descriptor(String services, String databases, String extra) {
    return DescriptorReader.read(
        """
        descriptorVersion: 2
        platform: {name: p, version: "1.2.0"}
        compose: {file: docker-compose.yml}
        services:
        %s
        databases:
        %s
        %s
        upgrade: {from: ["1.1.0"]}
        """
            .formatted(services, databases, extra),
        "t");
  }

  static final String SERVICES =
      """
        - {name: db, role: database, stopOrder: 2}
        - {name: api, role: application, stopOrder: 1, started: {health: "http://127.0.0.1:${API_PORT}/health", timeoutSeconds: 60}}
        - {name: worker, role: application, stopOrder: 1}
        - {name: manager, role: application, stopOrder: 1, started: {logLine: "ready", timeoutSeconds: 30}}
      """;

  static final String DATABASES =
      """
        - id: main
          service: db
          name: app
          password: {env: DB_PASSWORD}
          migrations: {tool: flyway, location: migrations}
      """;

  @Test
  void referencesTheComposeFileLacksAreNamedWithTheirFieldAndWhatIsAllowed() {
    PlatformDescriptor d =
        descriptor(
            SERVICES,
            DATABASES.replace("{env: DB_PASSWORD}", "{env: DB_PASWORD}"),
            """
            volumes:
              - name: uplods
              - path: ./cert
                policy: skip
                reason: renewed elsewhere
            hooks:
              - {at: afterStart, service: manager, command: ["x"]}
            stages:
              - stop: all
              - migrate: all
              - start: all
            """);
    ReleaseChecks checks = new ReleaseChecks("v1.2.0", d, COMPOSE, TEMPLATE);
    List<String> problems = checks.problems(d, Map.of("DB_PASSWORD", "x"));
    assertThat(problems)
        .containsExactly(
            "services[3].name: 'manager' is not a service of docker-compose.yml (its services:"
                + " [api, db, worker])",
            "databases[0].password: {env: DB_PASWORD} is in neither .env.example of v1.2.0 nor the"
                + " platform's .env nor config.newRequired (variables there: [API_PORT, API_SECRET,"
                + " DB_PASSWORD, LOG_FORMAT, NEW_FEATURE, QUEUE_NAME])",
            "hooks[0].service: 'manager' is not a service of docker-compose.yml (its services:"
                + " [api, db, worker])",
            "volumes[0].name: 'uplods' is not a named volume of docker-compose.yml (its top-level"
                + " volumes: [pgdata, uploads])",
            "volumes[1].path: './cert' is not bind-mounted by any service of docker-compose.yml"
                + " (its bind mounts: [certs])");
  }

  @Test
  void stagesFollowTheCutoversOrderAndManualStepsItsPoints() {
    PlatformDescriptor d =
        descriptor(
            SERVICES.replace("- {name: manager", "- {name: worker2"),
            DATABASES,
            """
            stages:
              - stop: [api]
              - start: [api]
              - migrate: all
              - start: rest
            manualSteps:
              - {id: before, at: beforeStop, text: "Tell the users."}
              - {id: after, at: afterStart, text: "Look."}
            """);
    String compose = COMPOSE.replace("  worker:\n", "  worker2:\n    image: app\n  worker:\n");
    assertThat(new ReleaseChecks("v1.2.0", d, compose, TEMPLATE).problems(d, Map.of()))
        .containsExactly(
            "stages[0].stop: only all is supported (the application services stop in stopOrder,"
                + " the databases keep running for the migrations); was [api]",
            "stages[2]: the cutover stops, then migrates, then starts; a migrate stage cannot"
                + " follow a start stage",
            "manualSteps[0].at: the platform-upgrade runbook asks for manual steps at"
                + " [afterMigrations, afterStart] only, not at beforeStop");
  }

  @Test
  void aDescriptorThatFitsHasNoProblemsAndUrlVariablesAreChecked() {
    PlatformDescriptor fits =
        descriptor(
            SERVICES.replace("- {name: manager", "- {name: worker2"),
            DATABASES,
            "volumes: [{name: uploads}, {path: certs, policy: stopped}]");
    String compose = COMPOSE.replace("  worker:\n", "  worker2:\n    image: app\n  worker:\n");
    ReleaseChecks checks = new ReleaseChecks("v1.2.0", fits, compose, TEMPLATE);
    assertThat(checks.problems(fits, Map.of())).isEmpty();

    ReleaseChecks noTemplate = new ReleaseChecks("v1.2.0", fits, compose, null);
    assertThat(noTemplate.problems(fits, Map.of("DB_PASSWORD", "x")))
        .containsExactly(
            "services[1].started.health: ${API_PORT} is in neither .env.example of v1.2.0 nor the"
                + " platform's .env nor config.newRequired (variables there: [DB_PASSWORD])");
  }

  @Test
  void thePlanSaysWhatStartedMeansForEachService() {
    PlatformDescriptor d = descriptor(SERVICES, DATABASES, "");
    ReleaseChecks checks = new ReleaseChecks("v1.2.0", d, COMPOSE, TEMPLATE);
    assertThat(checks.startedRules(d))
        .containsExactly(
            "db: running, not restarting, for 5 s (no started rule, no Docker healthcheck)",
            "api: health URL http://127.0.0.1:${API_PORT}/health answers 2xx (up to 60 s)",
            "worker: running, not restarting, for 5 s (no started rule, no Docker healthcheck)",
            "manager: log line /ready/ since the container started (up to 30 s)");
    assertThat(checks.hasHealthcheck("api")).isTrue();
    assertThat(checks.hasHealthcheck("worker")).as("disable: true").isFalse();
  }

  @Test
  void driftListsUndeclaredVariablesAndMarksTheRequiredOnes() {
    PlatformDescriptor d =
        descriptor(
            SERVICES,
            DATABASES,
            """
            config:
              newRequired:
                - {name: NEW_FEATURE, default: "on"}
            """);
    ReleaseChecks checks = new ReleaseChecks("v1.2.0", d, COMPOSE, TEMPLATE);
    var drift = checks.drift(d, Map.of("DB_PASSWORD", "x", "API_PORT", "1"));
    assertThat(drift)
        .containsExactly(
            new UpgradePlan.PlannedVariable(
                "API_SECRET",
                true,
                "docker-compose.yml requires it (${API_SECRET:?}); .env.example has no value"),
            new UpgradePlan.PlannedVariable(
                "LOG_FORMAT", false, ".env.example has 'json'; the .env does not set it"),
            new UpgradePlan.PlannedVariable(
                "QUEUE_NAME", true, ".env.example lists it with no default"));

    UpgradePlan plan =
        new UpgradePlan(
            "p",
            "r",
            "1.1.0",
            "1.2.0",
            List.of(
                new UpgradePlan.PlannedHop(
                    "v1.1.0", "v1.2.0", "c", List.of(), List.of(), List.of(), List.of(), List.of(),
                    drift, null, List.of())));
    var check = PreflightChecksAccess.drift(plan);
    assertThat(check.ok()).isFalse();
    assertThat(check.detail())
        .startsWith(
            "the target needs variables that the platform's .env lacks and no descriptor declares:"
                + " API_SECRET (v1.2.0: docker-compose.yml requires it (${API_SECRET:?});"
                + " .env.example has no value), QUEUE_NAME (v1.2.0: .env.example lists it with no"
                + " default); also unset: LOG_FORMAT");
  }

  @Test
  void longReleaseNotesAreShortenedWithANote() {
    Release r = new Release(Version.parse("1.2.0"), "v1.2.0", "c");
    assertThat(UpgradePlanner.shorten("short", 10, "RELEASE_NOTES.md", r)).isEqualTo("short");
    String notes = "x".repeat(50);
    assertThat(UpgradePlanner.shorten(notes, 20, "RELEASE_NOTES.md", r))
        .isEqualTo(
            "x".repeat(20)
                + "\n\n[… shortened by Upshift: 20 of 50 characters shown; read RELEASE_NOTES.md"
                + " at v1.2.0 for the rest]");
  }
}
