package io.upshift.paths;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.flywaydb.core.api.MigrationVersion;

/**
 * A versioned Flyway SQL migration as a release ships it.
 *
 * @param version Flyway's version ({@code 2.1} for {@code V2_1__...})
 * @param checksum Flyway's checksum (CRC32 over the lines), as {@code flyway_schema_history} keeps
 *     it
 * @param change a hash of the SQL without comments and whitespace: the same change under any name
 */
record Migration(String version, String description, String file, int checksum, String change) {

  private static final Pattern NAME = Pattern.compile("V([0-9][0-9._]*)__(.+)\\.sql");

  /** The migration a file name stands for, or null for other files (repeatables, notes). */
  static Migration of(String fileName, byte[] content) {
    Matcher m = NAME.matcher(fileName);
    if (!m.matches()) {
      return null;
    }
    String version = MigrationVersion.fromVersion(m.group(1).replace('_', '.')).getVersion();
    String text = new String(content, StandardCharsets.UTF_8);
    return new Migration(
        version, m.group(2).replace('_', ' '), fileName, checksum(text), change(text));
  }

  MigrationVersion flywayVersion() {
    return MigrationVersion.fromVersion(version);
  }

  /** {@code 2.1 (bmbouter test)}. */
  String label() {
    return version + " (" + description + ")";
  }

  /** Flyway's checksum: CRC32 of every line without its terminator, a leading BOM dropped. */
  static int checksum(String text) {
    CRC32 crc = new CRC32();
    String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
    for (String line : body.split("\\r\\n|\\r|\\n", -1)) {
      crc.update(line.getBytes(StandardCharsets.UTF_8));
    }
    return (int) crc.getValue();
  }

  static String change(String text) {
    String normal =
        text.replaceAll("(?s)/\\*.*?\\*/", " ")
            .replaceAll("--[^\\n]*", " ")
            .replaceAll("\\s+", " ")
            .strip()
            .toLowerCase(java.util.Locale.ROOT);
    try {
      return normal.isEmpty()
          ? ""
          : HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(normal.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
