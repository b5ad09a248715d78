package io.upshift.backup;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The backups catalog in Upshift's own database (table {@code backup}). */
@Repository
public class BackupCatalog {

  private final JdbcClient jdbc;

  BackupCatalog(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Records a backup once; a second call with the same id changes nothing. */
  void record(BackupManifest manifest, String directory, String dumpSha256, boolean verified) {
    int existing =
        jdbc.sql("SELECT count(*) FROM backup WHERE id = ?")
            .param(manifest.id())
            .query(Integer.class)
            .single();
    if (existing == 0) {
      jdbc.sql(
              "INSERT INTO backup (id, run_id, platform, version, directory, size_bytes, sha256, verified, created_at)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .params(
              manifest.id(),
              manifest.runId(),
              manifest.platform(),
              manifest.version(),
              directory,
              manifest.totalBytes(),
              dumpSha256,
              verified,
              manifest.createdAt().atOffset(ZoneOffset.UTC))
          .update();
    }
  }

  /** One row of the catalog, as the console and {@code GET /api/backups} show it. */
  public record Entry(
      String id,
      String runId,
      String platform,
      String version,
      String directory,
      long sizeBytes,
      String sha256,
      boolean verified,
      Instant createdAt) {}

  /** The newest backups first, optionally of one run only. */
  public List<Entry> list(Optional<String> runId, int limit) {
    String where = runId.isPresent() ? " WHERE run_id = :runId" : "";
    var statement =
        jdbc.sql(
                "SELECT id, run_id, platform, version, directory, size_bytes, sha256, verified,"
                    + " created_at FROM backup"
                    + where
                    + " ORDER BY created_at DESC, id DESC LIMIT :limit")
            .param("limit", limit);
    if (runId.isPresent()) {
      statement = statement.param("runId", runId.get());
    }
    return statement
        .query(
            (rs, n) ->
                new Entry(
                    rs.getString("id"),
                    rs.getString("run_id"),
                    rs.getString("platform"),
                    rs.getString("version"),
                    rs.getString("directory"),
                    rs.getLong("size_bytes"),
                    rs.getString("sha256"),
                    rs.getBoolean("verified"),
                    rs.getObject("created_at", OffsetDateTime.class).toInstant()))
        .list();
  }

  Optional<String> directory(String id) {
    return jdbc.sql("SELECT directory FROM backup WHERE id = ?")
        .param(id)
        .query(String.class)
        .optional();
  }

  int count(String id) {
    return jdbc.sql("SELECT count(*) FROM backup WHERE id = ?")
        .param(id)
        .query(Integer.class)
        .single();
  }
}
