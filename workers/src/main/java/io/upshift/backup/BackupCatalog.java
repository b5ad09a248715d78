package io.upshift.backup;

import java.time.ZoneOffset;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The backups catalog in Upshift's own database (table {@code backup}). */
@Repository
class BackupCatalog {

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
