package io.upshift.platform;

import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A compose file's {@code services}, read the way compose reads the file: YAML anchors and merge
 * keys ({@code <<: *app}) resolved, duplicate keys refused. Jackson's YAML reader does not resolve
 * merge keys, so every reader of a compose file goes through here.
 */
public final class ComposeYaml {

  private ComposeYaml() {}

  /**
   * Service name to definition; empty when the file has no {@code services} mapping.
   *
   * @param file how errors name the file (e.g. {@code docker-compose.yml at v1.1.0})
   */
  public static Map<String, Object> services(String yaml, String file) {
    Object loaded;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      loaded = new Yaml(options).load(yaml);
    } catch (YAMLException e) {
      throw new DescriptorException(file + " is not valid YAML: " + e.getMessage(), e);
    }
    Map<String, Object> services = new LinkedHashMap<>();
    if (loaded instanceof Map<?, ?> root && root.get("services") instanceof Map<?, ?> all) {
      all.forEach((name, definition) -> services.put(String.valueOf(name), definition));
    }
    return services;
  }
}
