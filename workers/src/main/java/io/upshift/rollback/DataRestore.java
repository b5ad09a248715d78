package io.upshift.rollback;

import java.util.ArrayList;
import java.util.List;

/**
 * What the rollback's data restore did (process variable {@code dataRestore}): every database and
 * every saved volume put back to the hop's one restore point, each failed state kept aside.
 */
public record DataRestore(
    String restoredFrom, List<DatabaseRestore> databases, List<VolumeRestore> volumes) {

  public DataRestore {
    databases = databases == null ? List.of() : List.copyOf(databases);
    volumes = volumes == null ? List.of() : List.copyOf(volumes);
  }

  /** Rows of protected tables and files written after the stop that were not carried back. */
  public long discarded() {
    return databases.stream().mapToLong(DatabaseRestore::discardedRows).sum()
        + volumes.stream().mapToLong(v -> v.addedCount() + v.changedCount()).sum();
  }

  /** Every database and archive that holds a failed state. */
  public List<String> failedStatesKeptAs() {
    List<String> kept = new ArrayList<>();
    databases.forEach(d -> kept.add(d.failedStateKeptAs()));
    volumes.forEach(v -> kept.add(v.failedStateKeptAs()));
    return kept;
  }

  /** One sentence per database (named when there are several) and per volume. */
  public String sentence() {
    List<String> parts = new ArrayList<>();
    for (DatabaseRestore d : databases) {
      parts.add(
          databases.size() > 1 ? "Database " + d.database() + ": " + d.sentence() : d.sentence());
    }
    volumes.forEach(v -> parts.add(v.sentence()));
    return String.join(" ", parts);
  }
}
