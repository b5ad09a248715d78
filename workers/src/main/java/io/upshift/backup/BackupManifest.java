package io.upshift.backup;

import java.time.Instant;
import java.util.List;

/**
 * {@code manifest.json} next to a backup's files: what was backed up and the SHA-256 of each file,
 * computed while the file was written. {@code walPosition} is the database's WAL position taken
 * just before the dump: if it is unchanged later, no write happened since.
 */
public record BackupManifest(
    String id,
    String runId,
    String platform,
    String version,
    String database,
    Instant createdAt,
    List<BackupFile> files,
    List<String> runningImages,
    String walPosition) {

  public record BackupFile(String name, String kind, long bytes, String sha256) {}

  public long totalBytes() {
    return files.stream().mapToLong(BackupFile::bytes).sum();
  }
}
