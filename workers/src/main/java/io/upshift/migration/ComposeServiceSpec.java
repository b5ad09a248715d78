package io.upshift.migration;

import io.upshift.platform.ComposeYaml;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One service of a release's compose file as compose would run it: its image and its environment,
 * interpolated with the platform's .env the way compose does ({@link EnvFile#interpolate}). YAML
 * anchors and merge keys ({@code <<: *app}) are resolved, so services that share an {@code x-}
 * block are read like compose reads them. Used to run the platform's own migration tool in a
 * one-off container of a service's target image, and to build the rehearsal's scratch database
 * server from the platform's own database service.
 *
 * @param entrypoint the service's {@code entrypoint} (null: the image's own)
 * @param command the service's {@code command} (null: the image's own)
 * @param environment {@code env_file} entries first, then {@code environment}, which wins
 */
public record ComposeServiceSpec(
    String service,
    String image,
    List<String> entrypoint,
    List<String> command,
    Map<String, String> environment) {

  /**
   * Reads {@code service} from compose file text.
   *
   * @param directory where relative {@code env_file} paths are read (the platform directory)
   * @param envFileName the platform's .env file name: an {@code env_file} naming it is {@code env}
   */
  @SuppressWarnings("unchecked")
  public static ComposeServiceSpec of(
      String composeYaml,
      String composeFile,
      String service,
      EnvFile env,
      Path directory,
      String envFileName) {
    Map<String, Object> services = ComposeYaml.services(composeYaml, composeFile);
    if (!(services.get(service) instanceof Map<?, ?> raw)) {
      throw new DescriptorException(
          composeFile
              + " has no service '"
              + service
              + "'"
              + (services.isEmpty() ? "" : "; services: " + services.keySet()));
    }
    Map<String, Object> definition = (Map<String, Object>) raw;
    if (!(definition.get("image") instanceof String image) || image.isBlank()) {
      throw new DescriptorException(
          composeFile
              + ": service '"
              + service
              + "' has no image (services built from source cannot be run by Upshift;"
              + " give the service an image)");
    }
    Map<String, String> environment = new LinkedHashMap<>();
    for (String file : strings(definition.get("env_file"), composeFile, service, "env_file")) {
      String name = env.interpolate(file);
      if (name.equals(envFileName) || name.equals("./" + envFileName)) {
        environment.putAll(env.values());
        continue;
      }
      Path path = directory == null ? null : directory.resolve(name).normalize();
      if (path == null || !Files.exists(path)) {
        throw new DescriptorException(
            composeFile + ": env_file " + name + " of service '" + service + "' does not exist");
      }
      try {
        environment.putAll(EnvFile.read(path).values());
      } catch (IOException e) {
        throw new DescriptorException("Cannot read " + path + ": " + e.getMessage(), e);
      }
    }
    Object declared = definition.get("environment");
    if (declared instanceof Map<?, ?> map) {
      map.forEach(
          (k, v) -> {
            if (v == null) {
              // `KEY:` without a value passes the variable through from the .env (compose's shell)
              String passed = env.values().get(String.valueOf(k));
              if (passed != null) {
                environment.put(String.valueOf(k), passed);
              }
            } else {
              environment.put(String.valueOf(k), env.interpolate(scalar(v)));
            }
          });
    } else if (declared != null) {
      for (String entry : strings(declared, composeFile, service, "environment")) {
        int eq = entry.indexOf('=');
        if (eq < 0) {
          String passed = env.values().get(entry);
          if (passed != null) {
            environment.put(entry, passed);
          }
        } else {
          environment.put(entry.substring(0, eq), env.interpolate(entry.substring(eq + 1)));
        }
      }
    }
    Object entrypoint = definition.get("entrypoint");
    List<String> entry =
        entrypoint == null
            ? null
            : entrypoint instanceof String s
                ? List.of("/bin/sh", "-c", env.interpolate(s))
                : strings(entrypoint, composeFile, service, "entrypoint").stream()
                    .map(env::interpolate)
                    .toList();
    Object declaredCommand = definition.get("command");
    List<String> command =
        declaredCommand == null
            ? null
            : declaredCommand instanceof String s
                ? List.of(env.interpolate(s).strip().split("\\s+"))
                : strings(declaredCommand, composeFile, service, "command").stream()
                    .map(env::interpolate)
                    .toList();
    return new ComposeServiceSpec(
        service, env.interpolate(image), entry, command, Map.copyOf(environment));
  }

  /** Reads {@code service} from the compose file in the platform directory. */
  public static ComposeServiceSpec read(
      Path directory, String composeFile, String service, EnvFile env, String envFileName) {
    Path file = directory.resolve(composeFile);
    try {
      return of(Files.readString(file), composeFile, service, env, directory, envFileName);
    } catch (IOException e) {
      throw new DescriptorException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The environment as {@code KEY=value} entries, for the Docker API. */
  public List<String> environmentEntries() {
    return environment.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue())
        .toList();
  }

  @Override
  public String toString() {
    // the environment holds secrets: names only
    return "ComposeServiceSpec[" + service + " " + image + " env " + environment.keySet() + "]";
  }

  private static String scalar(Object value) {
    return value instanceof Boolean || value instanceof Number
        ? String.valueOf(value)
        : value.toString();
  }

  private static List<String> strings(Object value, String file, String service, String key) {
    if (value == null) {
      return List.of();
    }
    if (value instanceof String s) {
      return List.of(s);
    }
    if (value instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object item : list) {
        if (item instanceof Map<?, ?> m && m.get("path") instanceof String p) {
          out.add(p); // env_file long syntax
        } else if (item != null) {
          out.add(scalar(item));
        }
      }
      return out;
    }
    throw new DescriptorException(
        file + ": services." + service + "." + key + " must be a string or a list, was " + value);
  }
}
