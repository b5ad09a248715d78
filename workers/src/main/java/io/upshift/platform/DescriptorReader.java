package io.upshift.platform;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads {@code upshift.yaml} strictly: unknown keys (other than {@code x-} extensions), wrong types
 * and missing required fields are errors naming the field, so a typo in a release is caught when
 * the plan is made, not half-way through a cutover.
 */
public final class DescriptorReader {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
          .configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, false);

  private DescriptorReader() {}

  /**
   * @param source where the text came from (e.g. {@code upshift.yaml at 1.1.0}), for messages
   */
  public static PlatformDescriptor read(String yaml, String source) {
    PlatformDescriptor descriptor;
    try {
      JsonNode tree = YAML.readTree(yaml);
      if (tree == null || !tree.isObject()) {
        throw new DescriptorException(source + ": not a YAML mapping");
      }
      dropExtensions(tree);
      descriptor = YAML.treeToValue(tree, PlatformDescriptor.class);
    } catch (UnrecognizedPropertyException e) {
      throw new DescriptorException(
          source
              + ": field "
              + path(e)
              + ": unknown key '"
              + e.getPropertyName()
              + "'"
              + suggestion(e.getPropertyName(), e.getKnownPropertyIds())
              + " (allowed here: "
              + e.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + "; x- keys are ignored)",
          e);
    } catch (JsonMappingException e) {
      throw new DescriptorException(
          source + ": field " + path(e) + ": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new DescriptorException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
    List<String> problems = validate(descriptor);
    if (!problems.isEmpty()) {
      throw new DescriptorException(source + ": " + String.join("; ", problems));
    }
    return descriptor;
  }

  static List<String> validate(PlatformDescriptor d) {
    List<String> problems = new ArrayList<>();
    if (d.descriptorVersion() == null
        || (d.descriptorVersion() != 1 && d.descriptorVersion() != 2)) {
      problems.add("descriptorVersion must be 1 or 2, was " + d.descriptorVersion());
    } else if (d.descriptorVersion() == 2) {
      problems.addAll(DescriptorV2Checks.problems(d));
    } else {
      problems.addAll(DescriptorV2Checks.version2KeysIn(d));
    }
    if (d.platform() == null || blank(d.platform().name()) || blank(d.platform().version())) {
      problems.add("platform.name and platform.version are required");
    } else if (!Version.isVersion(d.platform().version())) {
      problems.add(
          "platform.version '" + d.platform().version() + "' is not MAJOR.MINOR.PATCH[-LABEL]");
    }
    if (d.compose() == null || blank(d.compose().file())) {
      problems.add("compose.file is required");
    }
    if (d.services() == null || d.services().isEmpty()) {
      problems.add("services must list at least one service");
    } else {
      for (int i = 0; i < d.services().size(); i++) {
        var s = d.services().get(i);
        if (blank(s.name()) || s.role() == null || s.stopOrder() == null) {
          problems.add(
              "services[" + i + "] needs a name, a role (application or database) and a stopOrder");
        }
      }
    }
    if (d.database() != null && Integer.valueOf(1).equals(d.descriptorVersion())) {
      var db = d.database();
      if (blank(db.service()) || db.variables() == null || db.migrations() == null) {
        problems.add("database needs service, variables and migrations");
      } else if (d.services() != null
          && d.services().stream().noneMatch(s -> s.name().equals(db.service()))) {
        problems.add("database.service '" + db.service() + "' is not one of the services");
      }
      if (db.migrations() != null && !"flyway".equals(db.migrations().tool())) {
        problems.add("database.migrations.tool must be flyway");
      }
      if (db.migrations() != null) {
        problems.addAll(DescriptorV2Checks.migrationPhases("database.migrations", db.migrations()));
      }
    }
    if (d.upgrade() != null && d.upgrade().policy() != null) {
      problems.addAll(UpgradePolicy.problems(d.upgrade().policy()));
    }
    if (d.upgrade() == null || (d.upgrade().from() == null && d.upgrade().policy() == null)) {
      problems.add(
          "upgrade.from is required (an empty list for a release that is only installed fresh)"
              + " unless upgrade.policy is given");
    } else if (d.upgrade().from() != null) {
      for (String pattern : d.upgrade().from()) {
        try {
          Version.parse("0.0.0").matches(pattern);
        } catch (IllegalArgumentException e) {
          problems.add("upgrade.from: " + e.getMessage());
        }
      }
    }
    return problems;
  }

  private static void dropExtensions(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().startsWith("x-")) {
          it.remove();
        } else {
          dropExtensions(field.getValue());
        }
      }
    } else if (node != null && node.isArray()) {
      node.forEach(DescriptorReader::dropExtensions);
    }
  }

  /** " (did you mean 'x'?)" for the known key nearest to a misspelt one, or "". */
  static String suggestion(String unknown, java.util.Collection<Object> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (Object k : known) {
      int distance = distance(unknown.toLowerCase(), String.valueOf(k).toLowerCase());
      if (distance < bestDistance) {
        best = String.valueOf(k);
        bestDistance = distance;
      }
    }
    return best != null && bestDistance <= Math.max(2, unknown.length() / 3)
        ? " (did you mean '" + best + "'?)"
        : "";
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(
            ref ->
                ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining())
        .replaceFirst("^\\.", "");
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
