package io.upshift.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compose {@code .env} file: {@code NAME=value} lines, {@code #} comments, optional quotes. Kept
 * in file order so a migrated file reads like the template it came from.
 */
public record EnvFile(Map<String, String> values) {

  private static final Pattern LINE =
      Pattern.compile("\\s*(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*=(.*)");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  /**
   * Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME?err}.
   */
  private static final Pattern COMPOSE_REFERENCE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?}");

  public static EnvFile read(Path file) throws IOException {
    return parse(Files.readString(file));
  }

  public static EnvFile parse(String text) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : text.split("\\R")) {
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (m.matches()) {
        values.put(m.group(1), unquote(m.group(2).strip()));
      }
    }
    return new EnvFile(values);
  }

  public String require(String name) {
    String value = values.get(name);
    if (value == null || value.isEmpty()) {
      throw new DescriptorException("The platform's .env has no value for " + name);
    }
    return value;
  }

  /** Replaces {@code ${NAME}} with the value from this file; an unknown name is an error. */
  public String substitute(String template) {
    Matcher m = REFERENCE.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(require(m.group(1))));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Interpolates a value of a compose file the way compose does with this .env: {@code ${NAME}} is
   * the value (empty when unset), {@code ${NAME:-default}} the default when unset or empty, {@code
   * ${NAME-default}} the default when unset. Used for image references, so that Upshift pulls and
   * pins the images compose will really run, whatever registry the platform's .env names.
   */
  public String interpolate(String template) {
    Matcher m = COMPOSE_REFERENCE.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      boolean colon = ":".equals(m.group(2));
      boolean useDefault = "-".equals(m.group(3)) && (value == null || (colon && value.isEmpty()));
      String replacement = useDefault ? m.group(4) : value == null ? "" : value;
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String unquote(String value) {
    if (value.length() >= 2
        && ((value.startsWith("\"") && value.endsWith("\""))
            || (value.startsWith("'") && value.endsWith("'")))) {
      return value.substring(1, value.length() - 1);
    }
    int comment = value.indexOf(" #");
    return comment >= 0 ? value.substring(0, comment).strip() : value;
  }
}
