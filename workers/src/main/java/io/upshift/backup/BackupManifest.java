package io.upshift.backup;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} next to a backup's files: what was backed up and the SHA-256 of each file,
 * computed while the file was written. {@code walPosition} is the (first) database server's WAL
 * position taken just before the dump: if it is unchanged later, no write happened since; {@code
 * walPositions} has it per database service. {@code database} is the first database's name (version
 * 1's only one); every database's dump is a file of kind {@code database} whose {@code subject} is
 * the database id. Fields added after version 1 are null in older manifests.
 *
 * @param walPositions per database service: its WAL position before the dumps
 * @param rowCounts per database id: the row count of every table when it was dumped
 * @param skippedVolumes volumes the descriptor says not to save, with the reason
 * @param durationMillis how long taking the backup took, until its last file was written (the
 *     verification after that not counted): what the rehearsal's downtime estimate counts for the
 *     restore point a hop takes at the stop
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
    String walPosition,
    Map<String, String> walPositions,
    Map<String, Map<String, Long>> rowCounts,
    List<SkippedVolume> skippedVolumes,
    Long durationMillis) {

  /** Kinds of file in a backup. */
  public static final String DATABASE = "database";

  public static final String GLOBALS = "globals";
  public static final String CONFIG = "config";
  public static final String VOLUME = "volume";

  /**
   * @param kind {@code database}, {@code globals}, {@code config} or {@code volume}
   * @param subject the database id (database), the database service (globals), the volume's label
   *     (volume); null for configuration files and in version-1 manifests (the database {@code
   *     main})
   */
  public record BackupFile(String name, String kind, long bytes, String sha256, String subject) {

    public BackupFile(String name, String kind, long bytes, String sha256) {
      this(name, kind, bytes, sha256, null);
    }
  }

  /** A volume declared with {@code policy: skip}: not saved, not restored. */
  public record SkippedVolume(String volume, String reason) {}

  public long totalBytes() {
    return files.stream().mapToLong(BackupFile::bytes).sum();
  }

  /** The files of one kind, in manifest order. */
  public List<BackupFile> filesOf(String kind) {
    return files.stream().filter(f -> f.kind().equals(kind)).toList();
  }
}
