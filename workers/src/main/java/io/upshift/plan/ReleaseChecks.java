package io.upshift.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.upshift.plan.UpgradePlan.PlannedVariable;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.ValueRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the plan checks of a release before anything is backed up: that its descriptor names only
 * services, volumes and variables its compose file and {@code .env} template have; what "started"
 * means for each service; and the configuration drift, the template's variables that the platform's
 * {@code .env} lacks and that no descriptor declares.
 */
final class ReleaseChecks {

  /** {@code ${NAME...}} in a compose file or a descriptor URL. */
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)((:?)([-?+])([^}]*))?}");

  /** The points of the cutover where platform-upgrade creates manual-step tasks. */
  static final List<String> MANUAL_STEP_POINTS_RUN = List.of("afterMigrations", "afterStart");

  /** The default of a service without a {@code started} rule or a Docker healthcheck. */
  static final int DEFAULT_RUNNING_SECONDS = 5;

  private final String source;
  private final JsonNode compose;
  private final String composeText;
  private final String composeFile;
  private final String templateFile;
  private final EnvFile template;

  /**
   * @param source the release, for messages (e.g. {@code v1.2.0})
   * @param composeText the release's compose file
   * @param templateText the release's {@code .env} template, or null when it has none
   */
  ReleaseChecks(
      String source, PlatformDescriptor descriptor, String composeText, String templateText) {
    this.source = source;
    this.composeFile = descriptor.compose().file();
    this.templateFile =
        descriptor.compose().envTemplate() == null
            ? ".env.example"
            : descriptor.compose().envTemplate();
    this.composeText = composeText;
    try {
      JsonNode tree = new YAMLMapper().readTree(composeText);
      this.compose = tree == null ? new YAMLMapper().createObjectNode() : tree;
    } catch (IOException e) {
      throw new DescriptorException(
          composeFile + " at " + source + " is not valid YAML: " + e.getMessage(), e);
    }
    this.template = templateText == null ? null : EnvFile.parse(templateText);
  }

  /**
   * Every reference of the descriptor that the compose file or the variables lack, each naming the
   * descriptor's field path and what is allowed. {@code env} is the platform's {@code .env} as it
   * will be at this release (after the earlier hops' configuration migrations).
   */
  List<String> problems(PlatformDescriptor d, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Set<String> services = new TreeSet<>(fieldNames(compose.path("services")));
    String inCompose = " is not a service of " + composeFile + " (its services: " + services + ")";
    for (int i = 0; i < d.services().size(); i++) {
      String name = d.services().get(i).name();
      if (!services.contains(name)) {
        problems.add("services[" + i + "].name: '" + name + "'" + inCompose);
      }
    }
    for (int i = 0; i < d.databases().size(); i++) {
      var db = d.databases().get(i);
      String at = "databases[" + i + "]";
      if (db.service() != null && !services.contains(db.service())) {
        problems.add(at + ".service: '" + db.service() + "'" + inCompose);
      }
      if (db.migrations() != null
          && db.migrations().service() != null
          && !services.contains(db.migrations().service())) {
        problems.add(at + ".migrations.service: '" + db.migrations().service() + "'" + inCompose);
      }
      Map<String, ValueRef> refs = new LinkedHashMap<>();
      refs.put("name", db.name());
      refs.put("user", db.user());
      refs.put("password", db.password());
      refs.put("port", db.port());
      refs.forEach(
          (field, ref) -> {
            if (ref != null && ref.isReference()) {
              variable(at + "." + field, ref.env(), d, env).ifPresent(problems::add);
            }
          });
      if (db.variables() != null) { // version 1: names of .env variables
        var v = db.variables();
        for (String[] f :
            new String[][] {
              {"name", v.name()}, {"user", v.user()}, {"password", v.password()}, {"port", v.port()}
            }) {
          if (f[1] != null) {
            variable("database.variables." + f[0], f[1], d, env).ifPresent(problems::add);
          }
        }
      }
    }
    for (int i = 0; i < d.hooks().size(); i++) {
      String name = d.hooks().get(i).service();
      if (name != null && !services.contains(name)) {
        problems.add("hooks[" + i + "].service: '" + name + "'" + inCompose);
      }
    }
    if (d.stages() != null) {
      int phase = 0; // 0 stop, 1 migrate, 2 start: the cutover's order
      for (int i = 0; i < d.stages().size(); i++) {
        var st = d.stages().get(i);
        int p = st.stop() != null ? 0 : st.migrate() != null ? 1 : 2;
        if (p < phase) {
          problems.add(
              "stages["
                  + i
                  + "]: the cutover stops, then migrates, then starts; a "
                  + (p == 0 ? "stop" : "migrate")
                  + " stage cannot follow a "
                  + (phase == 1 ? "migrate" : "start")
                  + " stage");
        }
        phase = Math.max(phase, p);
        if (st.stop() != null && !"all".equals(st.stop())) {
          problems.add(
              "stages["
                  + i
                  + "].stop: only all is supported (the application services stop in stopOrder,"
                  + " the databases keep running for the migrations); was "
                  + st.stop());
        }
      }
    }
    for (int i = 0; i < d.manualSteps().size(); i++) {
      String at = d.manualSteps().get(i).at();
      if (!MANUAL_STEP_POINTS_RUN.contains(at)) {
        problems.add(
            "manualSteps["
                + i
                + "].at: the platform-upgrade runbook asks for manual steps at "
                + MANUAL_STEP_POINTS_RUN
                + " only, not at "
                + at);
      }
    }
    Set<String> named = new TreeSet<>(fieldNames(compose.path("volumes")));
    Set<String> binds = bindSources();
    for (int i = 0; i < d.volumes().size(); i++) {
      var v = d.volumes().get(i);
      if (v.name() != null && !named.contains(v.name())) {
        problems.add(
            "volumes["
                + i
                + "].name: '"
                + v.name()
                + "' is not a named volume of "
                + composeFile
                + " (its top-level volumes: "
                + named
                + ")");
      }
      if (v.path() != null && !binds.contains(normalise(v.path()))) {
        problems.add(
            "volumes["
                + i
                + "].path: '"
                + v.path()
                + "' is not bind-mounted by any service of "
                + composeFile
                + " (its bind mounts: "
                + binds
                + ")");
      }
    }
    for (int i = 0; i < d.services().size(); i++) {
      var st = d.services().get(i).started();
      if (st != null && st.health() != null) {
        urlVariables("services[" + i + "].started.health", st.health(), d, env, problems);
      }
    }
    if (d.healthChecks() != null) {
      for (int i = 0; i < d.healthChecks().size(); i++) {
        urlVariables(
            "healthChecks[" + i + "].url", d.healthChecks().get(i).url(), d, env, problems);
      }
    }
    if (d.smokeTests() != null) {
      for (int i = 0; i < d.smokeTests().size(); i++) {
        urlVariables("smokeTests[" + i + "].url", d.smokeTests().get(i).url(), d, env, problems);
      }
    }
    return problems;
  }

  /** Per service, what "started" means, as the plan shows it. */
  List<String> startedRules(PlatformDescriptor d) {
    List<String> rules = new ArrayList<>();
    for (var s : d.services()) {
      rules.add(s.name() + ": " + startedRule(s, hasHealthcheck(s.name())));
    }
    return rules;
  }

  static String startedRule(PlatformDescriptor.Service s, boolean dockerHealthcheck) {
    var st = s.started();
    String timeout =
        st != null && st.timeoutSeconds() != null
            ? " (up to " + st.timeoutSeconds() + " s)"
            : s.healthTimeoutSeconds() != null ? " (up to " + s.healthTimeoutSeconds() + " s)" : "";
    if (st != null && st.health() != null) {
      return "health URL " + st.health() + " answers 2xx" + timeout;
    }
    if (st != null && st.logLine() != null) {
      return "log line /" + st.logLine() + "/ since the container started" + timeout;
    }
    if (st != null && st.runningSeconds() != null) {
      return "running, not restarting, for " + st.runningSeconds() + " s" + timeout;
    }
    if (dockerHealthcheck) {
      return "Docker healthcheck reports healthy" + timeout;
    }
    return "running, not restarting, for "
        + DEFAULT_RUNNING_SECONDS
        + " s (no started rule, no Docker healthcheck)";
  }

  /** Whether the compose file gives the service a healthcheck that is not disabled. */
  boolean hasHealthcheck(String service) {
    JsonNode hc = compose.path("services").path(service).path("healthcheck");
    if (hc.isMissingNode() || hc.isNull() || hc.path("disable").asBoolean(false)) {
      return false;
    }
    JsonNode test = hc.path("test");
    return !(test.isArray() && test.size() > 0 && "NONE".equals(test.get(0).asText()));
  }

  /**
   * The template's variables that {@code env} (the platform's .env as it will be at this release)
   * lacks and the descriptor does not declare ({@code config.newRequired}, or the target of a
   * {@code config.deprecated} rename). Required: no value in the template, or {@code ${NAME:?}} /
   * {@code ${NAME?}} in the compose file.
   */
  List<PlannedVariable> drift(PlatformDescriptor d, Map<String, String> env) {
    if (template == null) {
      return List.of();
    }
    Set<String> declared = declared(d);
    Set<String> requiredByCompose = requiredByCompose();
    List<PlannedVariable> drift = new ArrayList<>();
    template
        .values()
        .forEach(
            (name, value) -> {
              if (env.containsKey(name) || declared.contains(name)) {
                return;
              }
              if (requiredByCompose.contains(name)) {
                drift.add(
                    new PlannedVariable(
                        name,
                        true,
                        composeFile
                            + " requires it (${"
                            + name
                            + ":?}); "
                            + templateFile
                            + (value.isEmpty() ? " has no value" : " suggests '" + value + "'")));
              } else if (value.isEmpty()) {
                drift.add(
                    new PlannedVariable(name, true, templateFile + " lists it with no default"));
              } else {
                drift.add(
                    new PlannedVariable(
                        name,
                        false,
                        templateFile + " has '" + value + "'; the .env does not set it"));
              }
            });
    return drift;
  }

  private java.util.Optional<String> variable(
      String field, String name, PlatformDescriptor d, Map<String, String> env) {
    if (env.containsKey(name)
        || (template != null && template.values().containsKey(name))
        || declared(d).contains(name)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        field
            + ": {env: "
            + name
            + "} is in neither "
            + templateFile
            + " of "
            + source
            + " nor the platform's .env nor config.newRequired (variables there: "
            + known(env, d)
            + ")");
  }

  private void urlVariables(
      String field, String url, PlatformDescriptor d, Map<String, String> env, List<String> out) {
    if (url == null) {
      return;
    }
    Matcher m = VARIABLE.matcher(url);
    while (m.find()) {
      if (m.group(2) == null) {
        variable(field, m.group(1), d, env)
            .map(p -> p.replace("{env: " + m.group(1) + "}", "${" + m.group(1) + "}"))
            .ifPresent(out::add);
      }
    }
  }

  private Set<String> known(Map<String, String> env, PlatformDescriptor d) {
    Set<String> all = new TreeSet<>(env.keySet());
    if (template != null) {
      all.addAll(template.values().keySet());
    }
    all.addAll(declared(d));
    return all;
  }

  private static Set<String> declared(PlatformDescriptor d) {
    Set<String> declared = new LinkedHashSet<>();
    if (d.config() != null && d.config().newRequired() != null) {
      d.config().newRequired().forEach(v -> declared.add(v.name()));
    }
    if (d.config() != null && d.config().deprecated() != null) {
      d.config().deprecated().forEach(v -> declared.add(v.replacedBy()));
    }
    return declared;
  }

  private Set<String> requiredByCompose() {
    Set<String> required = new TreeSet<>();
    Matcher m = VARIABLE.matcher(composeText);
    while (m.find()) {
      if ("?".equals(m.group(4))) {
        required.add(m.group(1));
      }
    }
    return required;
  }

  /** Sources of the bind mounts of every service, normalised ({@code ./certs} -> {@code certs}). */
  private Set<String> bindSources() {
    Set<String> sources = new TreeSet<>();
    for (JsonNode service : iterable(compose.path("services"))) {
      for (JsonNode mount : iterable(service.path("volumes"))) {
        String src = null;
        if (mount.isTextual()) {
          String[] parts = mount.asText().split(":");
          if (parts.length > 1) {
            src = parts[0];
          }
        } else if ("bind".equals(mount.path("type").asText())) {
          src = mount.path("source").asText(null);
        }
        if (src != null && (src.startsWith(".") || src.startsWith("/") || src.startsWith("~"))) {
          sources.add(normalise(src));
        }
      }
    }
    return sources;
  }

  private static String normalise(String path) {
    String p = path.replaceAll("/+$", "");
    while (p.startsWith("./")) {
      p = p.substring(2);
    }
    return p;
  }

  private static Collection<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Iterable<JsonNode> iterable(JsonNode node) {
    if (node.isObject() || node.isArray()) {
      List<JsonNode> items = new ArrayList<>();
      node.elements().forEachRemaining(items::add);
      return items;
    }
    return List.of();
  }
}
