package io.upshift.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * What a run needs to continue after a restart of the embedded engine (table {@code
 * run_checkpoint}): its variables as they stood after its last completed step, and its position,
 * the element of the step it is at (a service task that started, or a user task waiting in the
 * inbox). Fed by {@link JobSteps} and the approval inbox; read by a resume or a rollback ({@link
 * RunService#resume}, {@link RunService#rollback}).
 *
 * <p>Process variables are small and hold no secrets (workers resolve credentials by reference), so
 * keeping them is safe. A run's steps run one after the other, except the parallel checks of a
 * health check: the merge is serialised in this service.
 */
@Repository
public class RunCheckpoints {

  private static final Logger log = LoggerFactory.getLogger(RunCheckpoints.class);
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  /** Variables the engine sets for a multi-instance iteration: never carried to a new instance. */
  static final String LOOP_COUNTER = "loopCounter";

  private final JdbcClient jdbc;
  private final ObjectMapper json;
  private final Clock clock;

  RunCheckpoints(JdbcClient jdbc, ObjectMapper json, Clock clock) {
    this.jdbc = jdbc;
    this.json = json;
    this.clock = clock;
  }

  /** Where a run stands: the element to continue at (null: before its first step) and variables. */
  public record Checkpoint(String elementId, Map<String, Object> variables, Instant updatedAt) {}

  /**
   * The run (re)started on the engine with these variables, before {@code elementId} (null: at its
   * start event). Replaces what was kept.
   */
  synchronized void started(String runId, String elementId, Map<String, Object> variables) {
    write(runId, elementId, new LinkedHashMap<>(variables));
  }

  /** The run reached {@code elementId}: a step started, or a user task waits there. */
  public synchronized void reached(String runId, String elementId) {
    if (runId == null || elementId == null) {
      return;
    }
    int changed =
        jdbc.sql("UPDATE run_checkpoint SET element_id = ?, updated_at = ? WHERE run_id = ?")
            .params(elementId, now(), runId)
            .update();
    if (changed == 0) {
      write(runId, elementId, new LinkedHashMap<>());
    }
  }

  /**
   * A step completed: its input variables and its outputs are merged into the kept variables (the
   * engine propagates a job's outputs the same way). The position stays at that step until the next
   * one starts: a run stopped in between re-runs it, which the idempotent workers allow.
   */
  synchronized void completed(
      String runId, Map<String, Object> inputs, Map<String, Object> outputs) {
    if (runId == null) {
      return;
    }
    Optional<Checkpoint> kept = find(runId);
    Map<String, Object> variables =
        new LinkedHashMap<>(kept.map(Checkpoint::variables).orElse(Map.of()));
    inputs.forEach(
        (name, value) -> {
          if (value != null && !LOOP_COUNTER.equals(name)) {
            variables.put(name, value);
          }
        });
    variables.putAll(outputs);
    write(runId, kept.map(Checkpoint::elementId).orElse(null), variables);
  }

  public Optional<Checkpoint> find(String runId) {
    return jdbc.sql("SELECT element_id, variables, updated_at FROM run_checkpoint WHERE run_id = ?")
        .param(runId)
        .query(
            (rs, i) ->
                new Checkpoint(
                    rs.getString("element_id"),
                    parse(runId, rs.getString("variables")),
                    rs.getObject("updated_at", java.time.OffsetDateTime.class).toInstant()))
        .optional();
  }

  private void write(String runId, String elementId, Map<String, Object> variables) {
    String text;
    try {
      text = json.writeValueAsString(variables);
    } catch (JsonProcessingException e) {
      log.warn("Run {}: variables not kept, not writable as JSON: {}", runId, e.getMessage());
      return;
    }
    int changed =
        jdbc.sql(
                "UPDATE run_checkpoint SET element_id = ?, variables = ?, updated_at = ?"
                    + " WHERE run_id = ?")
            .params(elementId, text, now(), runId)
            .update();
    if (changed == 0) {
      jdbc.sql(
              "INSERT INTO run_checkpoint (run_id, element_id, variables, updated_at)"
                  + " VALUES (?, ?, ?, ?)")
          .params(runId, elementId, text, now())
          .update();
    }
  }

  private Map<String, Object> parse(String runId, String text) {
    try {
      return json.readValue(text, MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "The kept variables of run " + runId + " are not readable: " + e.getMessage(), e);
    }
  }

  private java.time.OffsetDateTime now() {
    return clock.instant().atOffset(ZoneOffset.UTC);
  }
}
