package io.upshift.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.upshift.approval.ApprovalState;
import io.upshift.run.RunState;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code upshift cli}: the command-line client of Upshift's REST API, for people and scripts. Plain
 * Java (no Spring context): {@link java.net.http.HttpClient} and Jackson. Results go to stdout,
 * messages to stderr, and the exit code says how it went ({@link Exit}, docs/cli.md).
 */
public final class UpshiftCli {

  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
  static final int MAX_COMMENT = 2000;

  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern RUN_ID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final List<String> RUN_STATES =
      Arrays.stream(RunState.values()).map(RunState::wire).toList();
  private static final List<String> APPROVAL_STATES =
      Arrays.stream(ApprovalState.values()).map(ApprovalState::wire).toList();

  private static final String RUNS_LIST = "upshift cli runs list [--state S] [--limit N] [--json]";
  private static final String RUNS_SHOW = "upshift cli runs show ID [--json]";
  private static final String RUNS_START =
      "upshift cli runs start --runbook R [--platform P] [--target V] [--var key=value ...]"
          + " [--var-json key=JSON ...] [--wait] [--timeout D] [--interval D] [--json]";
  private static final String RUNS_WAIT =
      "upshift cli runs wait ID [--timeout D] [--interval D] [--json]";
  private static final String RUNS_CANCEL = "upshift cli runs cancel ID --reason TEXT [--json]";
  private static final String RUNS_ABANDON = "upshift cli runs abandon ID --reason TEXT [--json]";
  private static final String RUNS_RESUME = "upshift cli runs resume ID --reason TEXT [--json]";
  private static final String RUNS_ROLLBACK = "upshift cli runs rollback ID --reason TEXT [--json]";
  private static final String APPROVALS_LIST =
      "upshift cli approvals list [--state S] [--run ID] [--json]";
  private static final String APPROVALS_SHOW = "upshift cli approvals show ID [--json]";
  private static final String APPROVALS_APPROVE =
      "upshift cli approvals approve ID [--comment TEXT] [--json]";
  private static final String APPROVALS_REJECT =
      "upshift cli approvals reject ID --comment TEXT [--json]";
  private static final String APPROVALS_DECIDE =
      "upshift cli approvals decide ID --choice C [--comment TEXT] [--json]";

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock = Clock.systemUTC();

  private UpshiftCli(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /**
   * Runs one command.
   *
   * @param env the environment (UPSHIFT_URL, UPSHIFT_USER, UPSHIFT_PASSWORD, UPSHIFT_TOKEN)
   * @return the exit code: 0 success, 1 bad outcome, 2 usage or bad input, 3 access refused, 4 not
   *     found, 5 unreachable or timed out
   */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    UpshiftCli cli = new UpshiftCli(env, out, err);
    try {
      return cli.dispatch(CommandLine.parse(args)).code;
    } catch (CliException e) {
      err.println("upshift: " + e.getMessage());
      e.details().forEach(line -> err.println("  " + line));
      return e.exit().code;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private Exit dispatch(CommandLine line) {
    List<String> words = line.words();
    if (words.isEmpty()) {
      if (line.flag("--help")) {
        out.print(help());
        return Exit.OK;
      }
      err.print(help());
      throw CliException.usage("a command is required: runs, approvals or help");
    }
    if (line.flag("--help") || words.get(0).equals("help")) {
      out.print(help());
      return Exit.OK;
    }
    String group = words.get(0);
    String command = words.size() > 1 ? words.get(1) : "";
    return switch (group) {
      case "runs" ->
          switch (command) {
            case "list" -> runsList(line);
            case "show" -> runsShow(line);
            case "start" -> runsStart(line);
            case "wait" -> runsWait(line);
            case "cancel" -> runControl(line, "cancel", RUNS_CANCEL);
            case "abandon" -> runControl(line, "abandon", RUNS_ABANDON);
            case "resume" -> runControl(line, "resume", RUNS_RESUME);
            case "rollback" -> runControl(line, "rollback", RUNS_ROLLBACK);
            default ->
                throw unknown(
                    "runs", command, "list, show, start, wait, cancel, abandon, resume, rollback");
          };
      case "approvals" ->
          switch (command) {
            case "list" -> approvalsList(line);
            case "show" -> approvalsShow(line);
            case "approve" -> decide(line, "approve");
            case "reject" -> decide(line, "reject");
            case "decide" -> choose(line);
            default -> throw unknown("approvals", command, "list, show, approve, reject, decide");
          };
      default ->
          throw CliException.usage("unknown command '" + group + "'; one of runs, approvals, help");
    };
  }

  private Exit runsList(CommandLine line) {
    line.allow("runs list", "--state", "--limit", "--json");
    line.noArgumentsAfter(2, RUNS_LIST);
    Optional<String> state = line.value("--state").map(s -> oneOf("--state", s, RUN_STATES));
    int limit = line.value("--limit").map(v -> number("--limit", v, 1, 500)).orElse(50);
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer =
          api.get("/api/runs?limit=" + limit + state.map(s -> "&state=" + s).orElse(""));
      List<JsonNode> runs = new ArrayList<>();
      answer.json().forEach(run -> runs.add(run));
      // The server filters; filtering again keeps the promise against a server that ignores it.
      if (state.isPresent()) {
        runs.removeIf(run -> !state.get().equals(Views.text(run, "state")));
      }
      if (line.flag("--json")) {
        out.println(state.isEmpty() ? answer.body() : json(runs));
      } else if (runs.isEmpty()) {
        err.println("upshift: no runs" + state.map(s -> " in state " + s).orElse(""));
      } else {
        Views.runTable(runs, clock.instant(), out);
      }
      return Exit.OK;
    }
  }

  private Exit runsShow(CommandLine line) {
    line.allow("runs show", "--json");
    String id = runId(line.argument(2, "a run id", RUNS_SHOW), "");
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer = api.get("/api/runs/" + id);
      if (line.flag("--json")) {
        out.println(answer.body());
      } else {
        Views.runSummary(answer.json(), tasksOf(api, id), clock.instant(), out);
      }
      return Exit.OK;
    }
  }

  private Exit runsStart(CommandLine line) {
    line.allow(
        "runs start",
        "--runbook",
        "--platform",
        "--target",
        "--var",
        "--var-json",
        "--wait",
        "--timeout",
        "--interval",
        "--json");
    line.noArgumentsAfter(2, RUNS_START);
    String runbook =
        line.value("--runbook")
            .filter(r -> !r.isBlank())
            .orElseThrow(
                () ->
                    CliException.usage(
                        "'runs start' needs --runbook R, the runbook's id (e.g. platform-upgrade"
                            + " or health-check)"));
    Map<String, Object> variables = new LinkedHashMap<>();
    Map<String, String> givenBy = new LinkedHashMap<>();
    line.value("--platform")
        .ifPresent(
            p -> variable(variables, givenBy, "platform", nonBlank("--platform", p), "--platform"));
    line.value("--target")
        .ifPresent(
            v ->
                variable(variables, givenBy, "targetVersion", nonBlank("--target", v), "--target"));
    for (String pair : line.values("--var")) {
      String[] kv = keyValue("--var", pair, "--var signOffWindow=PT2M");
      variable(variables, givenBy, kv[0], kv[1], "--var " + kv[0]);
    }
    for (String pair : line.values("--var-json")) {
      String[] kv = keyValue("--var-json", pair, "--var-json allowSteppingStones=true");
      variable(variables, givenBy, kv[0], jsonValue(kv[0], kv[1]), "--var-json " + kv[0]);
    }
    boolean wait = line.flag("--wait");
    for (String option : List.of("--timeout", "--interval")) {
      if (!wait && line.value(option).isPresent()) {
        throw CliException.usage(option + " only applies with --wait");
      }
    }
    Optional<Duration> timeout = line.value("--timeout").map(t -> Durations.parse("--timeout", t));
    Duration interval = interval(line);
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer =
          api.post("/api/runs", Map.of("runbook", runbook, "variables", variables));
      String id = Views.text(answer.json(), "id");
      err.println(
          "upshift: started run " + id + " (" + runbook + ") as " + requester(answer.json()));
      if (wait) {
        return waitFor(api, id, timeout, interval, line.flag("--json"));
      }
      out.println(line.flag("--json") ? answer.body() : id);
      err.println("upshift: follow it with: upshift cli runs wait " + id);
      return Exit.OK;
    }
  }

  /**
   * {@code runs cancel} (an active run: before its cutover it ends at once, inside it the hop in
   * progress is rolled back), {@code runs abandon}, {@code runs resume} or {@code runs rollback}
   * (an interrupted run): each needs a reason, which goes into the audit trail. A refusal in the
   * run's state (no hop in progress, not active) is a 409: exit 1 with the server's detail.
   */
  private Exit runControl(CommandLine line, String action, String usage) {
    line.allow("runs " + action, "--reason", "--json");
    String id = runId(line.argument(2, "a run id", usage), "");
    String reason = line.value("--reason").map(String::strip).orElse("");
    if (reason.isEmpty()) {
      throw CliException.usage(
          "'runs " + action + "' needs --reason TEXT: say why, it goes into the audit trail");
    }
    if (reason.length() > MAX_COMMENT) {
      throw CliException.usage(
          "--reason has "
              + reason.length()
              + " characters; at most "
              + MAX_COMMENT
              + " are allowed");
    }
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer =
          api.post("/api/runs/" + id + "/" + action, Map.of("reason", reason));
      JsonNode run = answer.json();
      if (line.flag("--json")) {
        out.println(answer.body());
      } else {
        out.println("Run " + id + " " + Views.text(run, "state"));
        String outcome = Views.text(run, "outcomeMessage");
        if (outcome != null) {
          out.println(outcome);
        }
      }
      return Exit.OK;
    }
  }

  private Exit runsWait(CommandLine line) {
    line.allow("runs wait", "--timeout", "--interval", "--json");
    String id = runId(line.argument(2, "a run id", RUNS_WAIT), "");
    Optional<Duration> timeout = line.value("--timeout").map(t -> Durations.parse("--timeout", t));
    Duration interval = interval(line);
    try (ApiClient api = ApiClient.connect(line, env)) {
      return waitFor(api, id, timeout, interval, line.flag("--json"));
    }
  }

  /**
   * Polls the run until it is no longer active, telling stderr where it is and which approval task
   * it waits for; prints the summary (or the run's JSON) when it ended.
   */
  private Exit waitFor(
      ApiClient api, String id, Optional<Duration> timeout, Duration interval, boolean json) {
    long started = System.nanoTime();
    String element = null;
    String incident = null;
    Set<String> announced = new HashSet<>();
    while (true) {
      ApiClient.Answer answer = api.get("/api/runs/" + id);
      JsonNode run = answer.json();
      String state = Views.text(run, "state");
      if (!RunState.ACTIVE.wire().equals(state)) {
        if (json) {
          out.println(answer.body());
        } else {
          Views.runSummary(run, tasksOf(api, id), clock.instant(), out);
        }
        if (RunState.COMPLETED.wire().equals(state)) {
          return Exit.OK;
        }
        String outcome = Views.text(run, "outcomeMessage");
        throw new CliException(
            Exit.BAD_OUTCOME,
            "run " + id + " ended " + state + (outcome == null ? "" : ": " + outcome));
      }
      String now = Views.text(run, "currentElement");
      if (now != null && !now.equals(element)) {
        err.println("upshift: run " + id + " at " + now);
        element = now;
      }
      String trouble = Views.text(run, "incident");
      if (trouble != null && !trouble.equals(incident)) {
        err.println("upshift: run " + id + " has an incident (an operator must act): " + trouble);
      }
      incident = trouble;
      List<String> waiting = new ArrayList<>();
      for (JsonNode task : api.get("/api/approvals?runId=" + id).json()) {
        String taskId = Views.text(task, "id");
        waiting.add(taskId);
        if (announced.add(taskId)) {
          err.println(
              "upshift: run "
                  + id
                  + " waits for approval task "
                  + taskId
                  + " '"
                  + Views.text(task, "name")
                  + "': upshift cli approvals show "
                  + taskId);
        }
      }
      long remaining =
          timeout.map(t -> t.toNanos() - (System.nanoTime() - started)).orElse(Long.MAX_VALUE);
      if (remaining <= 0) {
        throw new CliException(
            Exit.UNAVAILABLE,
            "run "
                + id
                + " is still active after --timeout "
                + Durations.format(timeout.orElseThrow())
                + (!waiting.isEmpty()
                    ? " (waiting for approval task " + String.join(", ", waiting) + ")"
                    : element == null ? "" : " (at " + element + ")")
                + "; it goes on in Upshift: 'upshift cli runs wait "
                + id
                + "' waits again");
      }
      try {
        Thread.sleep(Math.min(interval.toMillis(), Math.max(1, remaining / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(Exit.UNAVAILABLE, "interrupted while waiting for run " + id);
      }
    }
  }

  /**
   * The run's approval tasks in every state, for its timeline. Without the right to read them the
   * summary shows the steps only.
   */
  private List<JsonNode> tasksOf(ApiClient api, String runId) {
    List<JsonNode> tasks = new ArrayList<>();
    try {
      api.get("/api/approvals?state=all&runId=" + runId + "&limit=500").json().forEach(tasks::add);
    } catch (CliException e) {
      if (e.exit() != Exit.ACCESS) {
        throw e;
      }
      err.println("upshift: approval tasks not shown: " + e.getMessage());
    }
    return tasks;
  }

  private Exit approvalsList(CommandLine line) {
    line.allow("approvals list", "--state", "--run", "--json");
    line.noArgumentsAfter(2, APPROVALS_LIST);
    List<String> states = new ArrayList<>(List.of("all"));
    states.addAll(APPROVAL_STATES);
    StringBuilder query = new StringBuilder("/api/approvals?state=");
    query.append(line.value("--state").map(s -> oneOf("--state", s, states)).orElse("waiting"));
    line.value("--run").ifPresent(r -> query.append("&runId=").append(runId(r, "--run")));
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer = api.get(query.toString());
      if (line.flag("--json")) {
        out.println(answer.body());
      } else if (answer.json().isEmpty()) {
        err.println("upshift: no approval tasks");
      } else {
        Views.approvalTable(answer.json(), out);
      }
      return Exit.OK;
    }
  }

  private Exit approvalsShow(CommandLine line) {
    line.allow("approvals show", "--json");
    String id = taskId(line.argument(2, "an approval task id", APPROVALS_SHOW));
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer = api.get("/api/approvals/" + id);
      if (line.flag("--json")) {
        out.println(answer.body());
      } else {
        Views.approval(answer.json(), out);
      }
      return Exit.OK;
    }
  }

  private Exit decide(CommandLine line, String decision) {
    String usage = decision.equals("approve") ? APPROVALS_APPROVE : APPROVALS_REJECT;
    line.allow("approvals " + decision, "--comment", "--json");
    String id = taskId(line.argument(2, "an approval task id", usage));
    Optional<String> comment = line.value("--comment").map(String::strip);
    if (decision.equals("reject") && comment.filter(c -> !c.isEmpty()).isEmpty()) {
      throw CliException.usage(
          "'approvals reject' needs --comment TEXT: say why, it goes into the audit trail");
    }
    if (comment.isPresent() && comment.get().length() > MAX_COMMENT) {
      throw CliException.usage(
          "--comment has "
              + comment.get().length()
              + " characters; at most "
              + MAX_COMMENT
              + " are allowed");
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("decision", decision);
    comment.ifPresent(c -> body.put("comment", c));
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer = api.post("/api/approvals/" + id + "/decision", body);
      JsonNode task = answer.json();
      if (line.flag("--json")) {
        out.println(answer.body());
      } else {
        out.println(
            "Approval task "
                + id
                + " '"
                + Views.text(task, "name")
                + "' "
                + Views.text(task, "state")
                + " by "
                + Views.text(task, "decidedBy")
                + " (run "
                + Views.text(task, "runId")
                + ")");
      }
      return Exit.OK;
    }
  }

  /** A guided-failure decision: the server checks the choice against the task's allowed ones. */
  private Exit choose(CommandLine line) {
    line.allow("approvals decide", "--choice", "--comment", "--json");
    String id = taskId(line.argument(2, "an approval task id", APPROVALS_DECIDE));
    String choice =
        line.value("--choice")
            .map(String::strip)
            .filter(c -> !c.isEmpty())
            .orElseThrow(
                () ->
                    CliException.usage(
                        "'approvals decide' needs --choice C: one of the choices the task offers"
                            + " (retry, abort, rollback, skip, leave-pending; 'approvals show "
                            + id
                            + "' lists them)"));
    Optional<String> comment = line.value("--comment").map(String::strip);
    if (comment.isPresent() && comment.get().length() > MAX_COMMENT) {
      throw CliException.usage(
          "--comment has "
              + comment.get().length()
              + " characters; at most "
              + MAX_COMMENT
              + " are allowed");
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("decision", choice);
    comment.ifPresent(c -> body.put("comment", c));
    try (ApiClient api = ApiClient.connect(line, env)) {
      ApiClient.Answer answer = api.post("/api/approvals/" + id + "/decision", body);
      JsonNode task = answer.json();
      if (line.flag("--json")) {
        out.println(answer.body());
      } else {
        out.println(
            "Task "
                + id
                + " '"
                + Views.text(task, "name")
                + "' decided: "
                + Views.text(task, "state")
                + " by "
                + Views.text(task, "decidedBy")
                + " (run "
                + Views.text(task, "runId")
                + ")");
      }
      return Exit.OK;
    }
  }

  static String help() {
    String exits =
        Arrays.stream(Exit.values())
            .map(e -> wrap("  " + e.code + "  ", e.meaning))
            .collect(Collectors.joining());
    return """
        Upshift command-line client: start and follow runs, decide approvals.

        Usage: upshift cli COMMAND [OPTIONS]

        Runs
          %s
              the latest runs (--limit, default 50, at most 500), optionally only those in
              one state: %s
          %s
              state, duration, outcome and the step timeline with durations
          upshift cli runs start --runbook R [--platform P] [--target V]
                                 [--var key=value ...] [--var-json key=JSON ...]
                                 [--wait [--timeout D] [--interval D]] [--json]
              starts a runbook and prints the run id; --platform and --target set the
              variables platform and targetVersion, --var a string variable, --var-json
              one of any JSON type (true, 3, [..]); --wait then waits like 'runs wait'
          %s
              polls (every --interval, default 2s) until the run is no longer active and
              prints its summary; exit 0 if it completed, 1 if it ended otherwise, 5 once
              --timeout is over (the run goes on)
          %s
              cancels an active run (OPERATOR): before its cutover it ends at once; inside
              it the hop in progress is rolled back from its next step (the run goes on to
              the review); between hops or at the sign-off the server refuses (exit 1)
          %s
              abandons an interrupted run (lost in a restart of the embedded engine) and
              frees its platform; prints what to check and restore by hand
          %s
              resumes an interrupted run where it stopped (OPERATOR): a new engine instance
              runs the interrupted step again with the variables kept after the last
              completed one (a cutover step: its hop again from the hop's first step); the
              run is active again, follow it with 'runs wait'
          %s
              rolls back an interrupted run whose cutover changed the platform (OPERATOR):
              the rollback undoes what the unfinished hop did, then waits for the review;
              refused (exit 1) when nothing needs undoing

        Approvals
          %s
              waiting tasks by default; --state one of %s
          %s
              one task with its evidence, plan hash and audit trail
          %s
          %s
              decide a waiting task (never one of a run you started yourself)
          %s
              decide a failed step (guided failure): --choice one of the choices the task
              offers ('approvals show' lists them): retry (after fixing the cause), abort
              (before the point of no return), rollback (after it), skip (optional steps),
              leave-pending (a failed post-deployment migration: complete with a warning)

        Durations: 90s, 5m, 1h30m, 500ms or ISO-8601 (PT90S). --json prints the server's JSON.

        Connection
          --url URL            or UPSHIFT_URL (default %s)
          --user NAME          or UPSHIFT_USER; the password comes from UPSHIFT_PASSWORD or
          --password-file F    (never from the command line, where ps shows it to everyone)
          UPSHIFT_TOKEN        a bearer token, used unless --user or --password-file is given

        Exit codes
        %s"""
        .formatted(
            RUNS_LIST,
            String.join(", ", RUN_STATES),
            RUNS_SHOW,
            RUNS_WAIT,
            RUNS_CANCEL,
            RUNS_ABANDON,
            RUNS_RESUME,
            RUNS_ROLLBACK,
            APPROVALS_LIST,
            "all, " + String.join(", ", APPROVAL_STATES),
            APPROVALS_SHOW,
            APPROVALS_APPROVE,
            APPROVALS_REJECT,
            APPROVALS_DECIDE,
            ApiClient.DEFAULT_URL,
            exits);
  }

  /** {@code text} after {@code lead}, wrapped at 90 columns under its first character. */
  private static String wrap(String lead, String text) {
    StringBuilder wrapped = new StringBuilder(lead);
    int column = lead.length();
    for (String word : text.split(" ")) {
      if (column + word.length() + 1 > 90 && column > lead.length()) {
        wrapped.append('\n').append(" ".repeat(lead.length()));
        column = lead.length();
      } else if (column > lead.length()) {
        wrapped.append(' ');
        column++;
      }
      wrapped.append(word);
      column += word.length();
    }
    return wrapped.append('\n').toString();
  }

  private static CliException unknown(String group, String command, String allowed) {
    return CliException.usage(
        (command.isEmpty()
                ? "'" + group + "' needs a command"
                : "unknown command '" + group + " " + command + "'")
            + "; one of "
            + allowed);
  }

  private static void variable(
      Map<String, Object> variables,
      Map<String, String> givenBy,
      String name,
      Object value,
      String option) {
    String earlier = givenBy.putIfAbsent(name, option);
    if (earlier != null) {
      throw CliException.usage(
          "the variable " + name + " is given twice (" + earlier + " and " + option + ")");
    }
    variables.put(name, value);
  }

  private static String[] keyValue(String option, String pair, String example) {
    int eq = pair.indexOf('=');
    String key = eq < 0 ? "" : pair.substring(0, eq);
    if (eq < 0 || !VARIABLE.matcher(key).matches()) {
      throw CliException.usage(
          option
              + " '"
              + pair
              + "' must be key=value with a key of letters, digits and _ (e.g. "
              + example
              + ")");
    }
    return new String[] {key, pair.substring(eq + 1)};
  }

  private static Object jsonValue(String key, String text) {
    try {
      return ApiClient.JSON.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      throw CliException.usage(
          "--var-json "
              + key
              + ": '"
              + text
              + "' is not JSON (strings need quotes: '\"text\"'; or use --var for strings)");
    }
  }

  private static String nonBlank(String option, String value) {
    if (value.isBlank()) {
      throw CliException.usage(option + " must not be empty");
    }
    return value.strip();
  }

  private static String oneOf(String option, String value, List<String> allowed) {
    if (!allowed.contains(value)) {
      throw CliException.usage(
          option + " '" + value + "' is not one of " + String.join(", ", allowed));
    }
    return value;
  }

  private static int number(String option, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw CliException.usage(
        option + " '" + value + "' must be a whole number from " + min + " to " + max);
  }

  /** A run id, as the argument of a command ({@code option} empty) or of an option. */
  private static String runId(String value, String option) {
    if (!RUN_ID.matcher(value).matches()) {
      throw CliException.usage(
          (option.isEmpty() ? "" : option + " ")
              + "'"
              + value
              + "' is not a run id: a UUID like 3f2a0c6e-5b1d-4c8e-9a7f-2d4e6b8c0a1f"
              + " (see 'upshift cli runs list')");
    }
    return value;
  }

  private static String taskId(String value) {
    try {
      if (Long.parseLong(value) > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw CliException.usage(
        "'"
            + value
            + "' is not an approval task id: a positive number (see 'upshift cli approvals list')");
  }

  private static Duration interval(CommandLine line) {
    Duration interval =
        line.value("--interval")
            .map(i -> Durations.parse("--interval", i))
            .orElse(DEFAULT_INTERVAL);
    if (interval.compareTo(Duration.ofMillis(10)) < 0) {
      throw CliException.usage("--interval must be at least 10ms");
    }
    return interval;
  }

  private static String requester(JsonNode run) {
    String by = Views.text(run, "requestedBy");
    return by == null ? "an anonymous user" : by;
  }

  private static String json(List<JsonNode> nodes) {
    ArrayNode array = ApiClient.JSON.createArrayNode();
    nodes.forEach(array::add);
    return array.toString();
  }
}
