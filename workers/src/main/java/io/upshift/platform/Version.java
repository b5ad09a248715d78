package io.upshift.platform;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release version {@code MAJOR.MINOR.PATCH[-LABEL]}, as platform release tags carry them. A
 * labelled version (e.g. {@code 1.1.1-fail-migration}) sorts before the plain one and is never
 * chosen as a stepping stone, only reached when it is the explicit target.
 */
public record Version(int major, int minor, int patch, String label)
    implements Comparable<Version> {

  private static final Pattern FORMAT =
      Pattern.compile("v?(\\d{1,6})\\.(\\d{1,6})\\.(\\d{1,6})(?:-([0-9A-Za-z.-]{1,64}))?");
  private static final Comparator<Version> ORDER =
      Comparator.comparingInt(Version::major)
          .thenComparingInt(Version::minor)
          .thenComparingInt(Version::patch)
          .thenComparing(v -> v.label == null ? "\uffff" : v.label);

  public static Version parse(String text) {
    Matcher m = text == null ? null : FORMAT.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a version like 1.2.0 or 1.2.0-label (MAJOR.MINOR.PATCH[-LABEL])");
    }
    return new Version(
        Integer.parseInt(m.group(1)),
        Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)),
        m.group(4));
  }

  public static boolean isVersion(String text) {
    return text != null && FORMAT.matcher(text.trim()).matches();
  }

  public boolean labelled() {
    return label != null;
  }

  /**
   * Matches a policy pattern: an exact version ({@code 1.1.0}) or a wildcard patch/minor ({@code
   * 1.0.x}, {@code 1.x}); a wildcard does not match labelled versions.
   */
  public boolean matches(String pattern) {
    String p = pattern.trim();
    if (!p.endsWith(".x")) {
      return equals(parse(p));
    }
    if (labelled()) {
      return false;
    }
    String[] parts = p.substring(0, p.length() - 2).split("\\.");
    if (parts.length == 1) {
      return major == Integer.parseInt(parts[0]);
    }
    if (parts.length == 2) {
      return major == Integer.parseInt(parts[0]) && minor == Integer.parseInt(parts[1]);
    }
    throw new IllegalArgumentException(
        "'" + pattern + "' is not a version pattern like 1.2.x or 1.x");
  }

  @Override
  public int compareTo(Version other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch + (label == null ? "" : "-" + label);
  }
}
