package io.upshift.config;

import io.upshift.platform.PlatformDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration migration of one release (seed 003's migrate_env.sh, done safely): renames
 * deprecated variables, adds new required ones with their defaults, and refuses when a required
 * variable has no default. Edits the .env line by line so comments and order survive.
 */
public final class EnvMigration {

  private static final Pattern ASSIGNMENT =
      Pattern.compile("^(\\s*(?:export\\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\\s*=.*)$");

  private EnvMigration() {}

  /** What migrating to a release does to the variable names: changes made, variables missing. */
  public record Result(List<String> changes, List<String> missing) {}

  /** Applies one release's rules to a name -> value map (used to plan, and to check). */
  public static Result apply(PlatformDescriptor target, Map<String, String> env) {
    String version = target.platform().version();
    List<String> changes = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    if (target.config() == null) {
      return new Result(changes, missing);
    }
    if (target.config().deprecated() != null) {
      for (PlatformDescriptor.DeprecatedVariable d : target.config().deprecated()) {
        if (env.containsKey(d.name()) && !env.containsKey(d.replacedBy())) {
          env.put(d.replacedBy(), env.remove(d.name()));
          changes.add(version + ": rename " + d.name() + " -> " + d.replacedBy());
        }
      }
    }
    if (target.config().newRequired() != null) {
      for (PlatformDescriptor.RequiredVariable v : target.config().newRequired()) {
        if (env.containsKey(v.name())) {
          continue;
        }
        if (v.defaultValue() != null) {
          env.put(v.name(), v.defaultValue());
          changes.add(version + ": add " + v.name() + "=" + v.defaultValue());
        } else {
          missing.add(
              v.name()
                  + " (new in "
                  + version
                  + (v.description() == null ? "" : ": " + v.description())
                  + ")");
        }
      }
    }
    return new Result(changes, missing);
  }

  /**
   * Rewrites {@code envFile} for the release: renamed lines keep their place and value, new
   * variables are appended under a comment. Written to a temporary file and moved into place.
   */
  public static Result rewrite(PlatformDescriptor target, Path envFile, String runId)
      throws IOException {
    List<String> lines = Files.readAllLines(envFile);
    Map<String, String> names =
        new java.util.LinkedHashMap<>(
            io.upshift.platform.EnvFile.parse(String.join("\n", lines)).values());
    Map<String, String> before = Map.copyOf(names);
    Result result = apply(target, names);
    if (!result.missing().isEmpty()) {
      return result;
    }
    Map<String, String> renames = new java.util.HashMap<>();
    if (target.config() != null && target.config().deprecated() != null) {
      for (PlatformDescriptor.DeprecatedVariable d : target.config().deprecated()) {
        if (before.containsKey(d.name()) && !before.containsKey(d.replacedBy())) {
          renames.put(d.name(), d.replacedBy());
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = ASSIGNMENT.matcher(line);
      if (m.matches() && renames.containsKey(m.group(2))) {
        out.add(
            "# "
                + m.group(2)
                + " renamed to "
                + renames.get(m.group(2))
                + " by Upshift (run "
                + runId
                + ")");
        out.add(m.group(1) + renames.get(m.group(2)) + m.group(3));
      } else {
        out.add(line);
      }
    }
    List<String> added =
        names.keySet().stream()
            .filter(n -> !before.containsKey(n) && !renames.containsValue(n))
            .toList();
    if (!added.isEmpty()) {
      out.add("");
      out.add("# Added by Upshift for " + target.platform().version() + " (run " + runId + ")");
      added.forEach(n -> out.add(n + "=" + names.get(n)));
    }
    Path temporary = envFile.resolveSibling(envFile.getFileName() + ".upshift-tmp");
    Files.write(temporary, out);
    Files.move(
        temporary, envFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return result;
  }
}
