package io.upshift.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/production is usable as shipped: its compose file is valid for the installed compose CLI
 * (with .env.example), and every {@code camunda.client.*} key its example configuration sets is a
 * property the Camunda client knows (a typo would be silently ignored at run time).
 */
class ProductionDeploymentIT {

  static final Path DIR = Path.of("..", "deploy", "production").toAbsolutePath().normalize();

  @Test
  void theComposeFileIsValid() throws Exception {
    Process check =
        new ProcessBuilder(List.of("bash", DIR.resolve("check.sh").toString()))
            .redirectErrorStream(true)
            .start();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(check.exitValue()).as(out).isZero();
    assertThat(out).contains("docker-compose.yml: valid");
  }

  @Test
  void theExampleConfigurationUsesOnlyKnownCamundaClientProperties() throws Exception {
    Map<String, Object> yaml;
    try (InputStream in = Files.newInputStream(DIR.resolve("upshift.example.yaml"))) {
      yaml = new Yaml().load(in);
    }
    List<String> keys = new ArrayList<>();
    flatten("", yaml, keys);
    List<String> camunda = keys.stream().filter(k -> k.startsWith("camunda.client.")).toList();
    assertThat(camunda).contains("camunda.client.mode", "camunda.client.auth.method");

    TreeSet<String> known = new TreeSet<>();
    Enumeration<URL> metadata =
        getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
    ObjectMapper json = new ObjectMapper();
    while (metadata.hasMoreElements()) {
      try (InputStream in = metadata.nextElement().openStream()) {
        for (JsonNode property : json.readTree(in).path("properties")) {
          known.add(property.get("name").asText());
        }
      }
    }
    List<String> unknown = new ArrayList<>();
    for (String key : camunda) {
      // Map entries (worker.override[<jobType>].timeout) are checked by their map property.
      String property = key.replaceAll("\\[[^]]*]\\..*", "");
      if (!known.contains(property)) {
        unknown.add(key);
      }
    }
    assertThat(unknown).as("camunda.client keys the client does not know").isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Object value, List<String> keys) {
    if (value instanceof Map<?, ?> map) {
      map.forEach(
          (k, v) -> {
            String key = String.valueOf(k);
            String name =
                key.startsWith("[") ? prefix + key : prefix.isEmpty() ? key : prefix + "." + key;
            flatten(name, v, keys);
          });
    } else {
      keys.add(prefix);
    }
  }
}
