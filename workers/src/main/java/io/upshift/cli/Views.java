package io.upshift.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Runs and approval tasks as a person reads them on a terminal. */
final class Views {

  private static final int SUMMARY_WIDTH = 100;

  private Views() {}

  static void runTable(Iterable<JsonNode> runs, Instant now, PrintStream out) {
    Table table = new Table("ID", "RUNBOOK", "STATE", "STARTED", "DURATION", "BY", "AT");
    for (JsonNode run : runs) {
      table.row(
          text(run, "id"),
          text(run, "runbook"),
          text(run, "state"),
          time(run, "startedAt"),
          runDuration(run, now),
          text(run, "requestedBy"),
          text(run, "currentElement"));
    }
    table.print(out, "");
  }

  /**
   * The run's summary: state, duration, outcome, and the timeline with durations: the journal's
   * steps and the run's approval tasks (who decided, how long the run waited), by start time.
   */
  static void runSummary(JsonNode run, List<JsonNode> tasks, Instant now, PrintStream out) {
    String version = text(run, "runbookVersion");
    out.println(
        "Run "
            + text(run, "id")
            + "  "
            + text(run, "runbook")
            + (version == null ? "" : " v" + version)
            + "  "
            + text(run, "state"));
    field(out, "requested by", text(run, "requestedBy"));
    field(out, "started", time(run, "startedAt"));
    if (instant(run, "endedAt") != null) {
      field(out, "ended", time(run, "endedAt") + " (took " + runDuration(run, now) + ")");
    } else {
      field(out, "running for", runDuration(run, now));
    }
    field(out, "outcome", text(run, "outcomeMessage"));
    field(out, "incident", text(run, "incident"));
    field(out, "waiting for", text(run, "waitingFor"));
    field(out, "at", text(run, "currentElement"));
    List<Entry> timeline = new ArrayList<>();
    for (JsonNode step : run.path("steps")) {
      JsonNode ms = step.path("durationMs");
      timeline.add(
          new Entry(
              instant(step, "startedAt"),
              text(step, "elementId"),
              text(step, "state"),
              ms.isNumber() ? Duration.ofMillis(ms.asLong()) : null,
              text(step, "summary")));
    }
    for (JsonNode task : tasks) {
      Instant created = instant(task, "createdAt");
      Instant decided = instant(task, "decidedAt");
      String by = text(task, "decidedBy");
      String comment = text(task, "comment");
      timeline.add(
          new Entry(
              created,
              text(task, "elementId"),
              text(task, "state"),
              created == null || decided == null ? null : Duration.between(created, decided),
              "task "
                  + text(task, "id")
                  + " '"
                  + text(task, "name")
                  + "'"
                  + (by == null ? "" : " by " + by)
                  + (comment == null || comment.isEmpty() ? "" : ": " + comment)));
    }
    if (timeline.isEmpty()) {
      return;
    }
    timeline.sort(Comparator.comparing(Entry::at, Comparator.nullsLast(Comparator.naturalOrder())));
    out.println();
    Instant started = instant(run, "startedAt");
    Table table = new Table("STEP", "AT", "STATE", "DURATION", "SUMMARY");
    for (Entry entry : timeline) {
      table.row(
          entry.element(),
          started == null || entry.at() == null
              ? null
              : "+" + Durations.format(Duration.between(started, entry.at())),
          entry.state(),
          entry.duration() == null ? null : Durations.format(entry.duration()),
          clip(entry.summary()));
    }
    table.print(out, "  ");
  }

  /** One row of a run's timeline: a step of the journal or an approval task. */
  private record Entry(
      Instant at, String element, String state, Duration duration, String summary) {}

  static void approvalTable(Iterable<JsonNode> tasks, PrintStream out) {
    Table table = new Table("ID", "STATE", "NAME", "RUNBOOK", "RUN", "CREATED", "DUE");
    for (JsonNode task : tasks) {
      table.row(
          text(task, "id"),
          text(task, "state"),
          text(task, "name"),
          text(task, "runbook"),
          text(task, "runId"),
          time(task, "createdAt"),
          time(task, "dueDate"));
    }
    table.print(out, "");
  }

  /** One task with its evidence and audit trail. */
  static void approval(JsonNode task, PrintStream out) {
    out.println(
        "Approval task "
            + text(task, "id")
            + ": "
            + text(task, "name")
            + "  "
            + text(task, "state"));
    field(out, "run", text(task, "runId") + " (" + text(task, "runbook") + ")");
    field(out, "element", text(task, "elementId"));
    List<String> groups = new ArrayList<>();
    task.path("candidateGroups").forEach(g -> groups.add(g.asText()));
    field(out, "candidates", groups.isEmpty() ? null : String.join(", ", groups));
    field(out, "created", time(task, "createdAt"));
    field(out, "due", time(task, "dueDate"));
    field(out, "reminded", time(task, "remindedAt"));
    field(out, "plan hash", text(task, "planHash"));
    JsonNode failedStep = task.path("evidence").path("failedStep");
    if (failedStep.isObject()) {
      field(
          out,
          "failed step",
          text(failedStep, "elementId") + " (" + text(failedStep, "jobType") + ")");
      field(out, "error", text(failedStep, "message"));
    }
    List<String> choices = new ArrayList<>();
    task.path("evidence").path("choices").forEach(c -> choices.add(c.asText()));
    if (!choices.isEmpty()) {
      field(
          out,
          "choices",
          String.join(", ", choices)
              + " (upshift cli approvals decide "
              + text(task, "id")
              + " --choice C)");
    }
    if (text(task, "decidedBy") != null) {
      String comment = text(task, "comment");
      field(
          out,
          "decided",
          "by "
              + text(task, "decidedBy")
              + " at "
              + time(task, "decidedAt")
              + (comment == null || comment.isEmpty() ? "" : ": " + comment));
    }
    JsonNode evidence = task.path("evidence");
    if (!evidence.isMissingNode() && !evidence.isNull()) {
      out.println("  evidence");
      try {
        for (String line :
            ApiClient.JSON
                .writerWithDefaultPrettyPrinter()
                .writeValueAsString(evidence)
                .split("\n")) {
          out.println("    " + line);
        }
      } catch (JsonProcessingException e) {
        out.println("    " + evidence);
      }
    }
    JsonNode audit = task.path("audit");
    if (audit.isArray() && !audit.isEmpty()) {
      out.println("  audit");
      for (JsonNode entry : audit) {
        String comment = text(entry, "comment");
        out.println(
            "    "
                + time(entry, "decidedAt")
                + "  "
                + text(entry, "decision")
                + " by "
                + text(entry, "decidedBy")
                + (comment == null || comment.isEmpty() ? "" : ": " + comment));
      }
    }
  }

  /** A field's text, or null when it is missing or JSON null. */
  static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  static Instant instant(JsonNode node, String field) {
    String value = text(node, field);
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** From start to end, or to now while the run is active. */
  static String runDuration(JsonNode run, Instant now) {
    Instant started = instant(run, "startedAt");
    Instant ended = instant(run, "endedAt");
    return started == null
        ? null
        : Durations.format(Duration.between(started, ended == null ? now : ended));
  }

  private static String time(JsonNode node, String field) {
    Instant at = instant(node, field);
    return at == null ? text(node, field) : at.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static void field(PrintStream out, String label, String value) {
    if (value != null && !value.isEmpty()) {
      out.printf("  %-13s %s%n", label, value);
    }
  }

  private static String clip(String text) {
    if (text == null) {
      return null;
    }
    String line = text.replaceAll("\\s+", " ").strip();
    return line.length() <= SUMMARY_WIDTH ? line : line.substring(0, SUMMARY_WIDTH - 1) + "…";
  }

  /** Left-aligned columns as wide as their widest cell; the last column is not padded. */
  private static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    void row(String... cells) {
      String[] row = new String[cells.length];
      for (int i = 0; i < cells.length; i++) {
        row[i] = cells[i] == null || cells[i].isEmpty() ? "-" : cells[i];
      }
      rows.add(row);
    }

    void print(PrintStream out, String indent) {
      int columns = rows.get(0).length;
      int[] widths = new int[columns];
      for (String[] row : rows) {
        for (int i = 0; i < columns; i++) {
          widths[i] = Math.max(widths[i], row[i].length());
        }
      }
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < columns; i++) {
          line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
        }
        out.println(line.toString().stripTrailing());
      }
    }
  }
}
