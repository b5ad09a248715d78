package io.upshift.platform;

import io.upshift.platform.PlatformDescriptor.Database;
import io.upshift.platform.PlatformDescriptor.Hook;
import io.upshift.platform.PlatformDescriptor.ManualStep;
import io.upshift.platform.PlatformDescriptor.Service;
import io.upshift.platform.PlatformDescriptor.Stage;
import io.upshift.platform.PlatformDescriptor.Volume;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The rules of descriptorVersion 2 that a YAML mapping cannot express: ids unique, references
 * between sections resolved, one of several keys given. Each problem names the field path and what
 * is allowed.
 */
final class DescriptorV2Checks {

  static final Set<String> HOOK_POINTS =
      Set.of("beforeMigrations", "afterMigrations", "afterStart");
  static final Set<String> MANUAL_STEP_POINTS =
      Set.of("beforeStop", "beforeMigrations", "afterMigrations", "afterStart");
  static final Set<String> VOLUME_POLICIES = Set.of("stopped", "live", "skip");
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern SQL_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private DescriptorV2Checks() {}

  /** Version 1 files must not use the keys version 2 introduced (they would be ignored). */
  static List<String> version2KeysIn(PlatformDescriptor d) {
    List<String> problems = new ArrayList<>();
    if (d.databases() != null && d.database() == null && !d.databases().isEmpty()) {
      problems.add("databases is a descriptorVersion 2 key; version 1 has one 'database'");
    }
    var v2 = new ArrayList<String>();
    if (d.volumes() != null && !d.volumes().isEmpty()) v2.add("volumes");
    if (d.stages() != null) v2.add("stages");
    if (d.hooks() != null && !d.hooks().isEmpty()) v2.add("hooks");
    if (d.manualSteps() != null && !d.manualSteps().isEmpty()) v2.add("manualSteps");
    if (d.versionRecord() != null) v2.add("versionRecord");
    if (!v2.isEmpty()) {
      problems.add(String.join(", ", v2) + ": descriptorVersion 2 keys; set descriptorVersion: 2");
    }
    return problems;
  }

  static List<String> problems(PlatformDescriptor d) {
    List<String> problems = new ArrayList<>();
    if (d.database() != null) {
      problems.add("database: version 1 key; descriptorVersion 2 lists databases[] (see docs)");
    }
    if (d.dataInvariants() != null || d.protectedTables() != null || d.requiredIndexes() != null) {
      problems.add(
          "dataInvariants, protectedTables, requiredIndexes belong inside each databases[] entry"
              + " in descriptorVersion 2");
    }
    Set<String> services = new HashSet<>();
    if (d.services() != null) {
      for (int i = 0; i < d.services().size(); i++) {
        Service s = d.services().get(i);
        if (s.name() != null) services.add(s.name());
        if (s.started() != null) {
          var st = s.started();
          int given =
              (st.health() != null ? 1 : 0)
                  + (st.logLine() != null ? 1 : 0)
                  + (st.runningSeconds() != null ? 1 : 0);
          if (given != 1) {
            problems.add(
                "services["
                    + i
                    + "].started: give exactly one of health (URL), logLine (regex),"
                    + " runningSeconds");
          }
          if (st.logLine() != null) {
            try {
              Pattern.compile(st.logLine());
            } catch (PatternSyntaxException e) {
              problems.add(
                  "services["
                      + i
                      + "].started.logLine is not a regular expression: "
                      + e.getDescription());
            }
          }
          if (st.runningSeconds() != null && st.runningSeconds() < 1) {
            problems.add("services[" + i + "].started.runningSeconds must be at least 1");
          }
        }
        if (s.stopGraceSeconds() != null && s.stopGraceSeconds() < 0) {
          problems.add("services[" + i + "].stopGraceSeconds must be 0 or more");
        }
      }
    }
    List<Database> databases = d.databases();
    Set<String> ids = new HashSet<>();
    if (databases != null) {
      for (int i = 0; i < databases.size(); i++) {
        problems.addAll(database("databases[" + i + "]", databases.get(i), services, ids));
      }
    }
    Set<String> volumeLabels = new HashSet<>();
    for (int i = 0; i < d.volumes().size(); i++) {
      Volume v = d.volumes().get(i);
      String at = "volumes[" + i + "]";
      if ((v.name() == null) == (v.path() == null)) {
        problems.add(at + ": give exactly one of name (a named volume) or path (a bind mount)");
      } else if (!volumeLabels.add(v.label())) {
        problems.add(at + ": '" + v.label() + "' is listed twice");
      }
      if (v.path() != null && (v.path().startsWith("/") || v.path().contains(".."))) {
        problems.add(at + ".path must be relative to the platform directory, without '..'");
      }
      if (!VOLUME_POLICIES.contains(v.policyOrDefault())) {
        problems.add(at + ".policy must be one of stopped, live, skip; was " + v.policy());
      } else if ("skip".equals(v.policy()) && (v.reason() == null || v.reason().isBlank())) {
        problems.add(at + ": policy skip needs a reason (shown in the plan)");
      }
    }
    for (int i = 0; i < d.configFiles().size(); i++) {
      String f = d.configFiles().get(i);
      if (f == null || f.isBlank() || f.startsWith("/") || f.contains("..")) {
        problems.add("config.files[" + i + "] must be a path relative to the platform directory");
      }
    }
    if (d.stages() != null) {
      problems.addAll(stages(d.stages(), services, ids));
    }
    for (int i = 0; i < d.hooks().size(); i++) {
      Hook h = d.hooks().get(i);
      String at = "hooks[" + i + "]";
      if (!HOOK_POINTS.contains(h.at())) {
        problems.add(at + ".at must be one of " + sorted(HOOK_POINTS) + "; was " + h.at());
      }
      if (h.service() == null || !services.contains(h.service())) {
        problems.add(at + ".service must be one of the services " + sorted(services));
      }
      if (h.command() == null || h.command().isEmpty()) {
        problems.add(at + ".command must be a non-empty argument array");
      }
      if (h.timeoutSeconds() != null && h.timeoutSeconds() < 1) {
        problems.add(at + ".timeoutSeconds must be at least 1");
      }
    }
    Set<String> stepIds = new HashSet<>();
    for (int i = 0; i < d.manualSteps().size(); i++) {
      ManualStep m = d.manualSteps().get(i);
      String at = "manualSteps[" + i + "]";
      if (m.id() == null || !ID.matcher(m.id()).matches()) {
        problems.add(at + ".id must match " + ID.pattern());
      } else if (!stepIds.add(m.id())) {
        problems.add(at + ".id '" + m.id() + "' is used twice");
      }
      if (!MANUAL_STEP_POINTS.contains(m.at())) {
        problems.add(at + ".at must be one of " + sorted(MANUAL_STEP_POINTS) + "; was " + m.at());
      }
      if (m.text() == null || m.text().isBlank()) {
        problems.add(at + ".text is required: it is what the person is asked to do");
      }
    }
    var record = d.versionRecord();
    if (record != null) {
      if (record.database() != null && !ids.contains(record.database())) {
        problems.add("versionRecord.database must be one of the database ids " + sorted(ids));
      }
      if (record.schema() != null && !SQL_NAME.matcher(record.schema()).matches()) {
        problems.add("versionRecord.schema must match " + SQL_NAME.pattern());
      }
      if (record.table() != null && !SQL_NAME.matcher(record.table()).matches()) {
        problems.add("versionRecord.table must match " + SQL_NAME.pattern());
      }
    }
    return problems;
  }

  private static List<String> database(
      String at, Database db, Set<String> services, Set<String> ids) {
    List<String> problems = new ArrayList<>();
    if (db.id() == null || !ID.matcher(db.id()).matches()) {
      problems.add(at + ".id is required and must match " + ID.pattern());
    } else if (!ids.add(db.id())) {
      problems.add(at + ".id '" + db.id() + "' is used twice");
    }
    if (db.host() != null || db.defaultName() != null || db.variables() != null) {
      problems.add(
          at
              + ": host, defaultName and variables are version 1 keys; use name, user, password,"
              + " port (literal or {env: VAR})");
    }
    if (db.service() == null || !services.contains(db.service())) {
      problems.add(at + ".service must be one of the services " + sorted(services));
    }
    if (db.engine() != null && !"postgresql".equals(db.engine())) {
      problems.add(at + ".engine must be postgresql");
    }
    if (db.name() == null) {
      problems.add(at + ".name is required (a literal or {env: VAR})");
    }
    if (db.password() != null && !db.password().isReference()) {
      problems.add(
          at + ".password must be a reference {env: VAR}: passwords stay in the platform's .env");
    }
    if (db.port() != null && !db.port().isReference()) {
      try {
        int port = Integer.parseInt(db.port().literal());
        if (port < 1 || port > 65535) throw new NumberFormatException();
      } catch (NumberFormatException e) {
        problems.add(at + ".port must be a port number 1-65535 or {env: VAR}");
      }
    }
    var m = db.migrations();
    if (m == null) {
      problems.add(at + ".migrations is required (tool: flyway or tool: command)");
    } else if (m.isFlyway()) {
      if (m.location() == null || m.location().isBlank()) {
        problems.add(at + ".migrations.location is required for tool flyway");
      }
      if (m.command() != null || m.statusCommand() != null || m.service() != null) {
        problems.add(at + ".migrations: service, command, statusCommand are for tool command");
      }
    } else if (m.isCommand()) {
      if (m.service() == null || !services.contains(m.service())) {
        problems.add(
            at
                + ".migrations.service must be one of the services "
                + sorted(services)
                + " (its target image runs the command)");
      }
      if (m.command() == null || m.command().isEmpty()) {
        problems.add(at + ".migrations.command must be a non-empty argument array");
      }
      if (m.statusCommand() != null && m.statusCommand().isEmpty()) {
        problems.add(at + ".migrations.statusCommand must be a non-empty argument array if given");
      }
      if (m.environment() == null || m.environment().isEmpty()) {
        problems.add(
            at
                + ".migrations.environment is required for tool command: the variables that point"
                + " the service at a database ({host} {port} {name} {user} {password}), so the"
                + " rehearsal can point it at the scratch copy");
      }
      if (db.requiredSchemaVersion() != null && m.versionQuery() == null) {
        problems.add(at + ".migrations.versionQuery is required with requiredSchemaVersion");
      }
    } else {
      problems.add(at + ".migrations.tool must be flyway or command; was " + m.tool());
    }
    if (m != null && m.timeoutSeconds() != null && m.timeoutSeconds() < 1) {
      problems.add(at + ".migrations.timeoutSeconds must be at least 1");
    }
    if (m != null) {
      problems.addAll(migrationPhases(at + ".migrations", m));
    }
    return problems;
  }

  private static List<String> stages(List<Stage> stages, Set<String> services, Set<String> ids) {
    List<String> problems = new ArrayList<>();
    boolean migrates = false;
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      String at = "stages[" + i + "]";
      int given =
          (s.stop() != null ? 1 : 0) + (s.migrate() != null ? 1 : 0) + (s.start() != null ? 1 : 0);
      if (given != 1) {
        problems.add(at + ": give exactly one of stop, migrate, start");
        continue;
      }
      if (s.stop() != null) problems.addAll(targets(at + ".stop", s.stop(), services));
      if (s.start() != null) problems.addAll(targets(at + ".start", s.start(), services));
      if (s.migrate() != null) {
        migrates = true;
        problems.addAll(targets(at + ".migrate", s.migrate(), ids));
      }
      if (s.waitStarted() != null && s.start() == null) {
        problems.add(at + ".waitStarted applies to start stages only");
      }
    }
    if (!migrates && !ids.isEmpty()) {
      problems.add("stages must contain a migrate stage (the databases are migrated there)");
    }
    return problems;
  }

  private static List<String> targets(String at, Object value, Set<String> allowed) {
    if ("all".equals(value) || "rest".equals(value)) {
      return List.of();
    }
    if (value instanceof Collection<?> list && !list.isEmpty()) {
      List<String> unknown =
          list.stream().map(String::valueOf).filter(v -> !allowed.contains(v)).toList();
      return unknown.isEmpty()
          ? List.of()
          : List.of(at + ": unknown " + unknown + "; allowed: all, rest or " + sorted(allowed));
    }
    return List.of(at + " must be all, rest or a list of " + sorted(allowed));
  }

  private static List<String> sorted(Collection<String> values) {
    return values.stream().sorted().toList();
  }

  private static final java.util.regex.Pattern DOTTED =
      java.util.regex.Pattern.compile("\\d+(\\.\\d+)*");

  /**
   * {@code preDeploymentUpTo} and {@code postDeploymentFrom} (both versions): Flyway only, dotted
   * versions, and the expand range below the contract range.
   *
   * @param at the field's path, e.g. {@code database.migrations} or {@code
   *     databases[main].migrations}
   */
  static List<String> migrationPhases(String at, PlatformDescriptor.Migrations m) {
    List<String> problems = new ArrayList<>();
    if (!m.splitsAroundDowntime()) {
      return problems;
    }
    if (!m.isFlyway()) {
      for (String field : List.of("preDeploymentUpTo", "postDeploymentFrom")) {
        if ((field.equals("preDeploymentUpTo") ? m.preDeploymentUpTo() : m.postDeploymentFrom())
            != null) {
          problems.add(
              at
                  + "."
                  + field
                  + " is only allowed with tool flyway (a "
                  + m.tool()
                  + " tool runs all its migrations in the downtime); remove it or use tool:"
                  + " flyway");
        }
      }
      return problems;
    }
    boolean valid = true;
    for (String field : List.of("preDeploymentUpTo", "postDeploymentFrom")) {
      String value =
          field.equals("preDeploymentUpTo") ? m.preDeploymentUpTo() : m.postDeploymentFrom();
      if (value != null && !DOTTED.matcher(value.strip()).matches()) {
        problems.add(
            at
                + "."
                + field
                + " must be a dotted Flyway version such as \"5\" or \"5.1\"; was '"
                + value
                + "'");
        valid = false;
      }
    }
    if (valid
        && m.preDeploymentUpTo() != null
        && m.postDeploymentFrom() != null
        && org.flywaydb.core.api.MigrationVersion.fromVersion(m.preDeploymentUpTo().strip())
                .compareTo(
                    org.flywaydb.core.api.MigrationVersion.fromVersion(
                        m.postDeploymentFrom().strip()))
            >= 0) {
      problems.add(
          at
              + ".preDeploymentUpTo ("
              + m.preDeploymentUpTo()
              + ") must be lower than "
              + at
              + ".postDeploymentFrom ("
              + m.postDeploymentFrom()
              + "): versions up to preDeploymentUpTo run before the stop, versions from"
              + " postDeploymentFrom after the start");
    }
    return problems;
  }
}
