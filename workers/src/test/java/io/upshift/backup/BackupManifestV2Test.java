package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.ValueRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/** The pure parts of version-2 backups: manifests old and new, WAL comparison, volume listings. */
class BackupManifestV2Test {

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  @Test
  void aVersionOneManifestReadsAsTheDatabaseMain() throws Exception {
    String v1 =
        """
        {"id":"run-1","runId":"1","platform":"demo","version":"1.0.0","database":"app",
         "createdAt":"2026-12-01T00:00:00Z",
         "files":[{"name":"app.dump","kind":"database","bytes":10,"sha256":"aa"},
                  {"name":"globals.sql","kind":"globals","bytes":5,"sha256":"bb"}],
         "runningImages":[],"walPosition":"0/1"}
        """;
    BackupManifest manifest = JSON.readValue(v1, BackupManifest.class);
    assertThat(BackupService.dumpOf(manifest, PlatformDescriptor.V1_DATABASE_ID))
        .hasValueSatisfying(f -> assertThat(f.name()).isEqualTo("app.dump"));
    assertThat(BackupService.dumpOf(manifest, "ledger")).isEmpty();
    assertThat(BackupService.dumpOf(manifest).name()).isEqualTo("app.dump");
    assertThat(manifest.walPositions()).isNull();
    // Version 1 manifests know one server: the first database's.
    assertThat(BackupService.previousWal(manifest, "db", "db")).isEqualTo("0/1");
    assertThat(BackupService.previousWal(manifest, "other", "db")).isNull();
    assertThat(BackupService.changedServices(manifest, Map.of("db", "0/1"), "db")).isEmpty();
    assertThat(BackupService.changedServices(manifest, Map.of("db", "0/2"), "db"))
        .containsExactly("db");
  }

  @Test
  void aVersionTwoManifestNamesEachDatabaseAndComparesEachServer() {
    BackupManifest manifest =
        new BackupManifest(
            "run-2",
            "2",
            "ledger",
            "1.0.0",
            "ledger",
            Instant.EPOCH,
            List.of(
                new BackupManifest.BackupFile(
                    "databases/ledger.dump", "database", 1, "a", "ledger"),
                new BackupManifest.BackupFile("databases/files.dump", "database", 1, "b", "files"),
                new BackupManifest.BackupFile("volumes/uploads.tar", "volume", 1, "c", "uploads")),
            List.of(),
            "0/1",
            Map.of("db", "0/1", "db2", "0/9"),
            Map.of("ledger", Map.of("entries", 3L)),
            List.of(new BackupManifest.SkippedVolume("pgdata", "dumped")),
            500L);
    assertThat(BackupService.dumpOf(manifest, "files"))
        .hasValueSatisfying(f -> assertThat(f.name()).isEqualTo("databases/files.dump"));
    assertThat(BackupService.dumpOf(manifest, PlatformDescriptor.V1_DATABASE_ID)).isEmpty();
    assertThat(manifest.filesOf(BackupManifest.VOLUME)).hasSize(1);
    assertThat(BackupService.changedServices(manifest, Map.of("db", "0/1", "db2", "0/A"), "db"))
        .containsExactly("db2");
    assertThat(BackupService.changedServices(manifest, Map.of("db3", "0/1"), "db"))
        .containsExactly("db3");
  }

  @Test
  void dumpNamesKeepVersionOneAndNameVersionTwoById() {
    var v1 =
        new PlatformDescriptor.Database(
            "main",
            "db",
            "postgresql",
            null,
            null,
            new PlatformDescriptor.DatabaseVariables("N", "U", "P", "PORT"),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    var v2 =
        new PlatformDescriptor.Database(
            "files",
            "db",
            "postgresql",
            null,
            null,
            null,
            ValueRef.literal("files"),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    assertThat(BackupService.dumpName(v1, "app")).isEqualTo("app.dump");
    assertThat(BackupService.dumpName(v2, "files")).isEqualTo("databases/files.dump");
  }

  @Test
  void volumeListingsAreRelativeToTheVolumeAndComparedByContent() throws Exception {
    byte[] before = tar(Map.of("a.txt", "one", "sub/b.txt", "two"));
    byte[] after = tar(Map.of("a.txt", "ONE", "c.txt", "new"));
    var point = VolumeArchives.list(new ByteArrayInputStream(before));
    var failed = VolumeArchives.list(new ByteArrayInputStream(after));
    assertThat(point).containsKeys("a.txt", "sub", "sub/b.txt").doesNotContainKey("");
    assertThat(point.get("sub").type()).isEqualTo('d');
    assertThat(point.get("a.txt").sha256()).hasSize(64);
    VolumeArchives.Difference d = VolumeArchives.compare(point, failed);
    assertThat(d.added()).containsExactly("c.txt");
    assertThat(d.changed()).containsExactly("a.txt"); // same size, other content
    assertThat(d.removed()).containsExactly("sub/b.txt");
    assertThat(VolumeArchives.compare(point, point).isEmpty()).isTrue();
  }

  /** An archive as Docker's archive API returns it: entries under the mount's name. */
  private static byte[] tar(Map<String, String> files) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.putArchiveEntry(new TarArchiveEntry("upshift-volume/"));
      tar.closeArchiveEntry();
      for (var e : new java.util.TreeMap<>(files).entrySet()) {
        if (e.getKey().contains("/")) {
          String dir = e.getKey().substring(0, e.getKey().lastIndexOf('/') + 1);
          tar.putArchiveEntry(new TarArchiveEntry("upshift-volume/" + dir));
          tar.closeArchiveEntry();
        }
        byte[] bytes = e.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry("upshift-volume/" + e.getKey());
        entry.setSize(bytes.length);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }
}
