package io.upshift.rollback;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The saga log of a run's cutover (table {@code cutover_action}): each cutover step records what it
 * is about to do to the platform <em>before</em> doing it, so that a step that fails half way is
 * still undone. The rollback reads the unfinished hop's actions and undoes exactly those, in
 * reverse order; hops that finished (verified and recorded) stay as they are.
 */
@Repository
public class CutoverLog implements io.upshift.run.CutoverProgress {

  /** What a cutover step does to the platform, in the order a hop does them. */
  public enum Action {
    /** The applications are being stopped; detail: the release that was running. */
    STOP,
    /** The restore point of this hop was taken; detail: the backup id. */
    RESTORE_POINT,
    /** The working directory is being switched to the hop's release; detail: the release before. */
    CHECKOUT,
    /** The configuration (.env) is being migrated. */
    CONFIG,
    /** Schema migrations are starting; detail: the database. */
    MIGRATE,
    /** The new release is being started. */
    START,
    /** The hop was verified and its version recorded: nothing of it is undone any more. */
    DONE
  }

  /** The actions one hop recorded, with their details. */
  public record HopLog(String hop, Map<Action, String> actions) {
    public boolean did(Action action) {
      return actions.containsKey(action);
    }

    public String detail(Action action) {
      return actions.get(action);
    }
  }

  private final JdbcClient jdbc;
  private final Clock clock;

  CutoverLog(JdbcClient jdbc, Clock clock) {
    this.jdbc = jdbc;
    this.clock = clock;
  }

  /** Records an action once; repeating it (a redelivered job) keeps the first record. */
  public void record(String runId, String hop, Action action, String detail) {
    boolean exists =
        jdbc.sql("SELECT count(*) FROM cutover_action WHERE run_id = ? AND hop = ? AND action = ?")
                .params(runId, hop, action.name())
                .query(Integer.class)
                .single()
            > 0;
    if (exists) {
      return;
    }
    try {
      jdbc.sql(
              "INSERT INTO cutover_action (run_id, hop, action, detail, recorded_at)"
                  + " VALUES (?, ?, ?, ?, ?)")
          .params(
              runId,
              hop,
              action.name(),
              detail,
              OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
          .update();
    } catch (DuplicateKeyException e) {
      // A concurrent delivery of the same job recorded it first: the same fact.
    }
  }

  /** Every hop of the run that recorded anything, in the order the hops ran. */
  public List<HopLog> hops(String runId) {
    Map<String, Map<Action, String>> byHop = new LinkedHashMap<>();
    jdbc.sql("SELECT hop, action, detail FROM cutover_action WHERE run_id = ? ORDER BY id")
        .param(runId)
        .query(
            (rs, n) -> {
              byHop
                  .computeIfAbsent(rs.getString("hop"), h -> new EnumMap<>(Action.class))
                  .put(Action.valueOf(rs.getString("action")), rs.getString("detail"));
              return null;
            })
        .list();
    List<HopLog> hops = new ArrayList<>();
    // Details may be null (CONFIG, START): no Map.copyOf.
    byHop.forEach(
        (hop, actions) ->
            hops.add(new HopLog(hop, java.util.Collections.unmodifiableMap(actions))));
    return hops;
  }

  /** The hop that began changing the platform (it stopped it) and did not finish, if any. */
  public Optional<HopLog> unfinishedHop(String runId) {
    return hops(runId).stream()
        .filter(h -> h.did(Action.STOP) && !h.did(Action.DONE))
        .reduce((a, b) -> b);
  }

  @Override
  public boolean hopInProgress(String runId) {
    return unfinishedHop(runId).isPresent();
  }

  /** The last hop that finished (verified, version recorded), if any. */
  public Optional<HopLog> lastFinishedHop(String runId) {
    return hops(runId).stream().filter(h -> h.did(Action.DONE)).reduce((a, b) -> b);
  }

  /** When the hop's stop began (for scanning only the logs written since), if recorded. */
  public Optional<Instant> stoppedAt(String runId, String hop) {
    return jdbc.sql(
            "SELECT recorded_at FROM cutover_action WHERE run_id = ? AND hop = ? AND action = ?")
        .params(runId, hop, Action.STOP.name())
        .query(OffsetDateTime.class)
        .optional()
        .map(OffsetDateTime::toInstant);
  }
}
