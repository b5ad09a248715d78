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
import org.springframework.transaction.support.TransactionOperations;

/**
 * What a run needs to continue after a restart of the embedded engine (table {@code
 * run_checkpoint}): its variables as they stood after its last completed step, and its position,
 * the element of the step it is at (a service task that started, or a user task waiting in the
 * inbox). Fed by {@link JobSteps} and the approval inbox; read by a resume or a rollback ({@link
 * RunService#resume}, {@link RunService#rollback}).
 *
 * <p>The position only moves forward. Each position is written with the key of the job that reached
 * it; the engine hands out keys in increasing order within an instance (a step's job is created
 * after the step before it completed) and a job delivered again keeps its key. So a write for a
 * lower key than the kept one comes from an earlier step (a job re-delivered after its timeout, a
 * late worker) and is ignored, whatever order the writes arrive in: the position names the step
 * that is really in progress, or the user task that waits. A (re)start on a new engine instance
 * ({@link #started}) clears the key, since that instance's keys start again.
 *
 * <p>Process variables are small and hold no secrets (workers resolve credentials by reference), so
 * keeping them is safe. A run's steps run one after the other, except the parallel checks of a
 * health check: each write is one transaction that locks the run's row before it reads, so merges
 * of one run follow one another. There is no lock in this service: a caller inside a transaction
 * (the start of a run) already holds a connection, and a lock taken after a connection by one
 * thread and before it by another deadlocked the pool under 100 concurrent starts (every connection
 * held by a start waiting for the lock, the lock held by a step waiting for a connection). A step
 * older than the position (re-delivered, or a parallel sibling) adds its outputs but not its
 * inputs, which may be older than what later steps wrote.
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
  private final TransactionOperations transactions;

  RunCheckpoints(
      JdbcClient jdbc, ObjectMapper json, Clock clock, TransactionOperations transactions) {
    this.jdbc = jdbc;
    this.json = json;
    this.clock = clock;
    this.transactions = transactions;
  }

  /**
   * Where a run stands: the element to continue at (null: before its first step), its variables,
   * and the key of the job that reached the element (null: not reached on the current instance).
   */
  public record Checkpoint(
      String elementId, Map<String, Object> variables, Instant updatedAt, Long positionKey) {}

  /**
   * The run (re)started on the engine with these variables, before {@code elementId} (null: at its
   * start event). Replaces what was kept.
   */
  void started(String runId, String elementId, Map<String, Object> variables) {
    transactions.executeWithoutResult(
        tx -> write(runId, elementId, new LinkedHashMap<>(variables)));
  }

  /**
   * The run reached {@code elementId} with the job {@code jobKey}: a step started, or a user task
   * waits there. Ignored when the kept position was reached by a later job (a higher key): this
   * write is stale.
   *
   * @return true when the position is now {@code elementId}
   */
  public boolean reached(String runId, String elementId, long jobKey) {
    if (runId == null || elementId == null) {
      return false;
    }
    return Boolean.TRUE.equals(transactions.execute(tx -> reachedNow(runId, elementId, jobKey)));
  }

  private boolean reachedNow(String runId, String elementId, long jobKey) {
    int changed =
        jdbc.sql(
                "UPDATE run_checkpoint SET element_id = ?, position_key = ?, updated_at = ?"
                    + " WHERE run_id = ? AND (position_key IS NULL OR position_key <= ?)")
            .params(elementId, jobKey, now(), runId, jobKey)
            .update();
    if (changed == 1) {
      return true;
    }
    Optional<Long> kept =
        jdbc.sql("SELECT position_key FROM run_checkpoint WHERE run_id = ?")
            .param(runId)
            .query((rs, i) -> rs.getObject("position_key", Long.class))
            .optional();
    if (kept.isEmpty()) {
      jdbc.sql(
              "INSERT INTO run_checkpoint (run_id, element_id, position_key, variables, updated_at)"
                  + " VALUES (?, ?, ?, '{}', ?)")
          .params(runId, elementId, jobKey, now())
          .update();
      return true;
    }
    log.info(
        "Run {}: {} (job {}) is behind the kept position (job {}); the position stays",
        runId,
        elementId,
        jobKey,
        kept.get());
    return false;
  }

  /**
   * A step completed: its input variables and its outputs are merged into the kept variables (the
   * engine propagates a job's outputs the same way). The position stays at that step until the next
   * one starts: a run stopped in between re-runs it, which the idempotent workers allow. A step
   * behind the kept position (its job key is lower: re-delivered, or a parallel sibling) adds only
   * its outputs: its inputs were read before later steps wrote theirs.
   */
  void completed(
      String runId, long jobKey, Map<String, Object> inputs, Map<String, Object> outputs) {
    if (runId == null) {
      return;
    }
    transactions.executeWithoutResult(tx -> completedNow(runId, jobKey, inputs, outputs));
  }

  private void completedNow(
      String runId, long jobKey, Map<String, Object> inputs, Map<String, Object> outputs) {
    Optional<Checkpoint> kept = find(runId, true);
    Map<String, Object> variables =
        new LinkedHashMap<>(kept.map(Checkpoint::variables).orElse(Map.of()));
    Long position = kept.map(Checkpoint::positionKey).orElse(null);
    if (position == null || jobKey >= position) {
      inputs.forEach(
          (name, value) -> {
            if (value != null && !LOOP_COUNTER.equals(name)) {
              variables.put(name, value);
            }
          });
    }
    variables.putAll(outputs);
    if (kept.isEmpty()) {
      write(runId, null, variables);
      return;
    }
    String text = text(runId, variables);
    if (text != null) {
      jdbc.sql("UPDATE run_checkpoint SET variables = ?, updated_at = ? WHERE run_id = ?")
          .params(text, now(), runId)
          .update();
    }
  }

  public Optional<Checkpoint> find(String runId) {
    return find(runId, false);
  }

  /** {@code forUpdate}: the row stays locked until the caller's transaction ends. */
  private Optional<Checkpoint> find(String runId, boolean forUpdate) {
    return jdbc.sql(
            "SELECT element_id, variables, updated_at, position_key FROM run_checkpoint"
                + " WHERE run_id = ?"
                + (forUpdate ? " FOR UPDATE" : ""))
        .param(runId)
        .query(
            (rs, i) ->
                new Checkpoint(
                    rs.getString("element_id"),
                    parse(runId, rs.getString("variables")),
                    rs.getObject("updated_at", java.time.OffsetDateTime.class).toInstant(),
                    rs.getObject("position_key", Long.class)))
        .optional();
  }

  /** Replaces the position (without a job key: a new engine instance) and the variables. */
  private void write(String runId, String elementId, Map<String, Object> variables) {
    String text = text(runId, variables);
    if (text == null) {
      return;
    }
    int changed =
        jdbc.sql(
                "UPDATE run_checkpoint SET element_id = ?, position_key = NULL, variables = ?,"
                    + " updated_at = ? WHERE run_id = ?")
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

  private String text(String runId, Map<String, Object> variables) {
    try {
      return json.writeValueAsString(variables);
    } catch (JsonProcessingException e) {
      log.warn("Run {}: variables not kept, not writable as JSON: {}", runId, e.getMessage());
      return null;
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
