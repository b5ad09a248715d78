package io.upshift.platform;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How a platform names its release tags: a pattern with {@code {version}} standing for the version,
 * e.g. {@code v{version}} for tags like {@code v1.2.0}. The default {@value #DEFAULT} also accepts
 * a leading {@code v} (tags like {@code v1.2.0}), as Upshift always has.
 */
public final class TagPattern {

  public static final String DEFAULT = "{version}";
  private static final String PLACEHOLDER = "{version}";
  private static final String VERSION = "(\\d{1,6}\\.\\d{1,6}\\.\\d{1,6}(?:-[0-9A-Za-z.-]{1,64})?)";

  private final String pattern;
  private final Pattern regex;

  private TagPattern(String pattern, Pattern regex) {
    this.pattern = pattern;
    this.regex = regex;
  }

  /**
   * @param pattern the registration's {@code tag-pattern}; null or blank gives the default
   * @throws DescriptorException when the pattern does not contain {@code {version}} exactly once
   */
  public static TagPattern of(String pattern) {
    if (pattern == null || pattern.isBlank() || pattern.equals(DEFAULT)) {
      return new TagPattern(DEFAULT, Pattern.compile("v?" + VERSION));
    }
    int at = pattern.indexOf(PLACEHOLDER);
    if (at < 0 || pattern.indexOf(PLACEHOLDER, at + 1) >= 0 || pattern.isBlank()) {
      throw new DescriptorException(
          "tag-pattern '"
              + pattern
              + "' must contain {version} exactly once, e.g. {version} (default) or v{version}");
    }
    String before = pattern.substring(0, at);
    String after = pattern.substring(at + PLACEHOLDER.length());
    return new TagPattern(
        pattern,
        Pattern.compile(
            (before.isEmpty() ? "" : Pattern.quote(before))
                + VERSION
                + (after.isEmpty() ? "" : Pattern.quote(after))));
  }

  /** The version a tag names, or empty when the tag does not follow the pattern. */
  public Optional<Version> version(String tag) {
    var m = regex.matcher(tag);
    return m.matches() ? Optional.of(Version.parse(m.group(1))) : Optional.empty();
  }

  /** The tag of a version under this pattern (the default gives the bare version). */
  public String tag(Version version) {
    return pattern.replace(PLACEHOLDER, version.toString());
  }

  @Override
  public String toString() {
    return pattern;
  }
}
