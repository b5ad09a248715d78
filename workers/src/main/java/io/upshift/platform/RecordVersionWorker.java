package io.upshift.platform;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.platform.record-version}: records the release now running in Upshift's version
 * table (version, applied_at, description, run_id), created if missing; once per run and version.
 * Where the table lives is {@link #location}: version 2 keeps it out of the application's schema
 * (default: schema {@value #V2_SCHEMA}, table {@value #V2_TABLE} in the first database, or where
 * {@code versionRecord} says); version 1 keeps {@value #TABLE} in the database's default schema.
 */
@Component
public class RecordVersionWorker {

  static final String TABLE = "upshift_platform_version";
  static final String V2_SCHEMA = "upshift";
  static final String V2_TABLE = "platform_version";

  /**
   * Where the version is recorded.
   *
   * @param schema null: the connection's default schema (version 1)
   */
  public record Location(PlatformDescriptor.Database database, String schema, String table) {

    /** The table's name for SQL, schema-qualified and quoted where needed. */
    public String qualifiedTable() {
      return schema == null ? quote(table) : quote(schema) + "." + quote(table);
    }

    public String quotedSchema() {
      return schema == null ? null : quote(schema);
    }

    private static String quote(String identifier) {
      return identifier.matches("[a-z_][a-z0-9_]*")
          ? identifier
          : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
  }

  /** Where {@code descriptor} keeps the version record. */
  public static Location location(PlatformDescriptor descriptor) {
    var databases = descriptor.databases();
    if (databases.isEmpty()) {
      throw new DescriptorException("The descriptor declares no database to record the version in");
    }
    if (databases.size() == 1 && databases.get(0).publishedOnHost()) {
      return new Location(databases.get(0), null, TABLE); // version 1: where it always was
    }
    PlatformDescriptor.VersionRecord record = descriptor.versionRecord();
    PlatformDescriptor.Database database = databases.get(0);
    if (record != null && record.database() != null) {
      database =
          descriptor
              .database(record.database())
              .orElseThrow(
                  () ->
                      new DescriptorException(
                          "versionRecord.database: '"
                              + record.database()
                              + "' is not a database id; known: "
                              + databases.stream().map(PlatformDescriptor.Database::id).toList()));
    }
    return new Location(
        database,
        record == null || record.schema() == null ? V2_SCHEMA : record.schema(),
        record == null || record.table() == null ? V2_TABLE : record.table());
  }

  /** The versions recorded so far, oldest first (empty when nothing was recorded yet). */
  public static java.util.List<String> recordedVersions(Connection c, Location location)
      throws java.sql.SQLException {
    java.util.List<String> versions = new java.util.ArrayList<>();
    try (var check = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      check.setString(1, location.qualifiedTable());
      try (var rs = check.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return versions;
        }
      }
    }
    try (var rs =
        c.createStatement()
            .executeQuery("SELECT version FROM " + location.qualifiedTable() + " ORDER BY id")) {
      while (rs.next()) {
        versions.add(rs.getString(1));
      }
    }
    return versions;
  }

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;

  RecordVersionWorker(PlatformOperations platforms, JobSteps steps, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.platform.record-version",
      timeout = 5 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> record(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          InstalledPlatform installed = platforms.installed(target.platform());
          String version = installed.descriptor().platform().version();
          Location location = location(installed.descriptor());
          DatabaseEndpoints.Endpoint endpoint;
          try (var docker = io.upshift.compose.DockerClients.local()) {
            endpoint = DatabaseEndpoints.resolve(installed, location.database(), docker);
          }
          try (Connection c =
              PlatformConnections.open(endpoint.jdbcUrl(), endpoint.user(), endpoint.password())) {
            if (location.schema() != null) {
              c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + location.quotedSchema());
            }
            c.createStatement()
                .execute(
                    "CREATE TABLE IF NOT EXISTS "
                        + location.qualifiedTable()
                        + " (id BIGSERIAL PRIMARY KEY, version TEXT NOT NULL,"
                        + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), description TEXT, run_id TEXT, UNIQUE (run_id, version))");
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + location.qualifiedTable()
                        + " (version, description, run_id) VALUES (?, ?, ?) ON CONFLICT (run_id, version) DO NOTHING")) {
              ps.setString(1, version);
              ps.setString(2, installed.descriptor().platform().summary());
              ps.setString(3, target.runId());
              ps.executeUpdate();
            }
          }
          // The hop is verified and recorded: a later failure leaves it in place.
          cutover.record(target.runId(), target.hop(), CutoverLog.Action.DONE, version);
          return Map.<String, Object>of(
              "recordedVersion",
              version,
              "versionRecord",
              location.database().id() + ":" + location.qualifiedTable());
        },
        out ->
            "recorded version " + out.get("recordedVersion") + " in " + out.get("versionRecord"));
  }
}
