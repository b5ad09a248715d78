package io.upshift.paths;

import io.upshift.paths.PathReport.Finding;
import io.upshift.paths.PathReport.Kind;
import io.upshift.paths.PathReport.PathResult;
import io.upshift.platform.ReleaseRepository;
import io.upshift.platform.UpgradeRules;
import io.upshift.platform.Version;
import io.upshift.storage.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Proves that every upgrade path the policy allows applies each migration exactly once and ends in
 * the fresh install's schema: each path's migrations are applied hop by hop with Flyway on a real
 * PostgreSQL (the platform's own image), prefixes shared through template databases; then the
 * histories and normalised {@code pg_dump --schema-only} outputs are compared with a fresh install
 * of the target. Knows nothing about Zeebe.
 */
final class PathVerifier {

  /** What to verify. */
  /**
   * @param share whether paths share their common prefixes through template databases (the
   *     default); false replays every path from an empty database, for comparison
   */
  public record Request(
      String repository, Path cacheDir, String from, String to, String image, boolean share) {
    public Request(String repository, Path cacheDir, String from, String to, String image) {
      this(repository, cacheDir, from, to, image, true);
    }
  }

  private static final String DEFAULT_IMAGE = "localhost:5000/upshift-demo/postgres:15";

  private PathVerifier() {}

  public static PathReport verify(Request request) throws IOException, InterruptedException {
    return verify(request, null);
  }

  /**
   * @param shared a server to use (and leave running) instead of a container of its own; tests
   *     share one per class
   */
  static PathReport verify(Request request, ScratchPostgres shared)
      throws IOException, InterruptedException {
    try (ReleaseRepository repository =
        ReleaseRepository.open(request.repository(), request.cacheDir())) {
      ReleaseCatalog catalog =
          new ReleaseCatalog(repository, request.to() == null ? null : Version.parse(request.to()));
      String image = request.image();
      if (image == null || image.isBlank()) {
        image = Objects.requireNonNullElse(catalog.databaseImage(), DEFAULT_IMAGE);
      }
      try {
        return new Run(
                request.repository(),
                catalog,
                request.from() == null ? null : Version.parse(request.from()),
                image,
                shared,
                request.share())
            .run();
      } catch (SQLException e) {
        throw new IllegalStateException("The scratch PostgreSQL failed: " + e.getMessage(), e);
      }
    }
  }

  /** Every path the rules allow from each release in [from, target) to the target. */
  static List<List<Version>> paths(ReleaseCatalog catalog, Version from) {
    UpgradeRules rules = catalog.rules();
    Version target = catalog.target();
    List<List<Version>> paths = new ArrayList<>();
    for (Version start : catalog.versions()) {
      if ((from == null || start.compareTo(from) >= 0) && start.compareTo(target) < 0) {
        paths.addAll(rules.all(start, target));
      }
    }
    paths.sort(
        (a, b) -> {
          for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
              return c;
            }
          }
          return Integer.compare(a.size(), b.size());
        });
    return paths;
  }

  /** One verification: one PostgreSQL, a database per path prefix. */
  private static final class Run {
    private final String repository;
    private final ReleaseCatalog catalog;
    private final Version from;
    private final String image;
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final Map<Version, Path> folders = new HashMap<>();
    private int databases;
    private long createNanos;
    private long migrateNanos;
    private long dumpNanos;
    private ScratchPostgres pg;

    private final ScratchPostgres shared;
    private final boolean share;

    Run(
        String repository,
        ReleaseCatalog catalog,
        Version from,
        String image,
        ScratchPostgres shared,
        boolean share) {
      this.shared = shared;
      this.share = share;
      this.repository = repository;
      this.catalog = catalog;
      this.from = from;
      this.image = image;
    }

    /** The state after a path prefix. */
    private record Node(
        List<Version> prefix,
        String db,
        List<String> hops,
        Map<String, Version> appliedBy,
        List<Finding> problems,
        boolean refused,
        long millis) {}

    private record History(String version, String description, Integer checksum, boolean success) {}

    PathReport run() throws IOException, InterruptedException, SQLException {
      long started = System.nanoTime();
      Version target = catalog.target();
      List<List<Version>> paths = paths(catalog, from);
      List<Finding> catalogOnly = CatalogChecks.find(catalog);
      Path work = Files.createTempDirectory("upshift-paths");
      List<PathResult> results = new ArrayList<>();
      try {
        for (Version v : catalog.versions()) {
          Path dir = work.resolve(v.toString());
          catalog.extract(v, dir);
          folders.put(v, dir);
        }
        pg = shared != null ? shared : ScratchPostgres.start(image, id);
        try {
          Node fresh = step(null, target, false, false);
          String freshSchema = fresh.refused() ? null : schema(fresh.db(), target);
          List<History> freshHistory = fresh.refused() ? List.of() : history(fresh.db(), target);
          results.add(
              leaf(
                  "fresh " + target,
                  fresh,
                  freshHistory,
                  freshSchema,
                  freshHistory,
                  freshSchema,
                  null));
          // The last path that needs each prefix's state. A prefix's database is copied (CREATE
          // DATABASE ... TEMPLATE) only for a branch that later paths do not all follow; the
          // branch they all follow migrates it in place: one database per path in all.
          Map<List<Version>, Integer> lastUse = new HashMap<>();
          for (int k = 0; k < paths.size(); k++) {
            for (int i = 1; i <= paths.get(k).size(); i++) {
              lastUse.put(List.copyOf(paths.get(k).subList(0, i)), k);
            }
          }
          List<Node> stack = new ArrayList<>();
          for (int k = 0; k < paths.size(); k++) {
            List<Version> path = paths.get(k);
            int common = 0;
            while (share
                && common < stack.size()
                && common < path.size()
                && stack.get(common).prefix().get(common).equals(path.get(common))) {
              common++;
            }
            while (stack.size() > common) {
              String db = stack.remove(stack.size() - 1).db();
              if (db != null) {
                pg.drop(db);
              }
            }
            long own = 0;
            for (int i = stack.size(); i < path.size(); i++) {
              Node parent = stack.isEmpty() ? null : stack.get(stack.size() - 1);
              // In place when every later path that needs the parent's state goes through this
              // child too (paths sharing a prefix are contiguous in this order).
              boolean inPlace =
                  parent != null
                      && (!share
                          || lastUse
                              .get(List.copyOf(parent.prefix()))
                              .equals(lastUse.get(List.copyOf(path.subList(0, i + 1)))));
              Node node = step(parent, path.get(i), false, inPlace);
              own += node.millis();
              stack.add(node);
            }
            Node last = stack.get(stack.size() - 1);
            List<History> history = last.refused() ? List.of() : history(last.db(), target);
            String schema = last.refused() ? null : schema(last.db(), target);
            String note = null;
            if (last.problems().stream().anyMatch(f -> f.kind() == Kind.OUT_OF_ORDER)) {
              note = withOutOfOrder(path, stack, freshHistory, freshSchema);
            }
            PathResult result =
                leaf(
                    UpgradeRules.describe(path),
                    last,
                    history,
                    schema,
                    freshHistory,
                    freshSchema,
                    note);
            results.add(
                new PathResult(
                    result.path(),
                    result.hops(),
                    result.once(),
                    result.noneLost(),
                    result.sameSchema(),
                    result.checksums(),
                    result.divergences(),
                    result.outOfOrder(),
                    own));
          }
        } finally {
          if (shared == null) {
            pg.close();
          } else {
            for (int n = 1; n <= databases; n++) {
              pg.drop("p" + n + "_" + id);
            }
          }
        }
      } finally {
        FileTrees.deleteRecursively(work);
      }
      return new PathReport(
          repository,
          target.toString(),
          catalog.rules().policy().describe(),
          catalogOnly,
          results,
          databases,
          Duration.ofNanos(System.nanoTime() - started),
          new PathReport.Timings(
              createNanos / 1_000_000, migrateNanos / 1_000_000, dumpNanos / 1_000_000));
    }

    /** Applies {@code release}'s migrations on a copy of {@code parent} (or an empty database). */
    /**
     * @param inPlace migrate the parent's database itself (no later path needs its state) instead
     *     of a copy
     */
    private Node step(Node parent, Version release, boolean outOfOrder, boolean inPlace)
        throws InterruptedException {
      List<Version> prefix = new ArrayList<>(parent == null ? List.of() : parent.prefix());
      prefix.add(release);
      List<String> hops = new ArrayList<>(parent == null ? List.of() : parent.hops());
      Map<String, Version> appliedBy =
          new LinkedHashMap<>(parent == null ? Map.of() : parent.appliedBy());
      if (parent != null && parent.refused()) {
        hops.add(release + ": not reached");
        return new Node(prefix, null, hops, appliedBy, parent.problems(), true, 0);
      }
      long started = System.nanoTime();
      String db = inPlace ? parent.db() : "p" + (++databases) + "_" + id;
      // A divergence Flyway let pass (a migration it takes for a future one) is carried along:
      // the rest of the path still runs, so the report shows where it ends.
      List<Finding> problems = new ArrayList<>(parent == null ? List.of() : parent.problems());
      int firstNew = problems.size();
      boolean refused = false;
      try {
        if (!inPlace) {
          long t0 = System.nanoTime();
          pg.create(db, parent == null ? null : parent.db());
          createNanos += System.nanoTime() - t0;
        }
        String hop =
            parent == null
                ? "install " + release
                : parent.prefix().get(parent.prefix().size() - 1) + " -> " + release;
        if (parent != null) {
          problems.addAll(beforeHop(parent, db, release, hop, outOfOrder));
        }
        try {
          long t1 = System.nanoTime();
          MigrateResult result;
          try {
            result = flyway(db, release, outOfOrder).migrate();
          } finally {
            migrateNanos += System.nanoTime() - t1;
          }
          List<String> applied = new ArrayList<>();
          result.migrations.forEach(
              m -> {
                applied.add(m.version);
                appliedBy.putIfAbsent(m.version, release);
              });
          hops.add(release + ": " + (applied.isEmpty() ? "-" : String.join(",", applied)));
          if (problems.size() > firstNew) {
            problems.set(
                firstNew,
                withFlyway(
                    problems.get(firstNew),
                    "Flyway did not object (it takes an applied migration it does not know for"
                        + " one of a future release): nothing but this check notices"));
          }
        } catch (FlywayException e) {
          String message = firstLines(e.getMessage());
          hops.add(release + ": refused");
          refused = true;
          if (problems.size() == firstNew) {
            problems.add(
                new Finding(
                    Kind.FAILED, hop, null, "Flyway failed on " + hop + ": " + message, List.of()));
          } else {
            problems.set(firstNew, withFlyway(problems.get(firstNew), "Flyway: " + message));
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException("The scratch PostgreSQL failed: " + e.getMessage(), e);
      }
      return new Node(
          prefix,
          db,
          hops,
          appliedBy,
          problems,
          refused,
          (System.nanoTime() - started) / 1_000_000);
    }

    /** What the database's history says about the hop before Flyway runs it. */
    private List<Finding> beforeHop(
        Node parent, String db, Version release, String hop, boolean outOfOrder)
        throws SQLException {
      List<Finding> problems = new ArrayList<>();
      List<History> applied = history(db, release);
      List<Migration> shipped = catalog.migrations(release);
      String newest = null;
      for (History h : applied) {
        Migration m = catalog.migration(release, h.version());
        Version by = parent.appliedBy().get(h.version());
        if (m == null) {
          Migration same =
              CatalogChecks.sameChange(
                  shipped, new Migration(h.version(), h.description(), null, 0, ""));
          if (same != null) {
            problems.add(
                new Finding(
                    Kind.DUPLICATE,
                    hop,
                    h.version() + " (" + h.description() + ")",
                    "the same change is shipped under two versions: "
                        + h.version()
                        + " ("
                        + h.description()
                        + "), applied by "
                        + by
                        + ", is "
                        + same.label()
                        + " in "
                        + release
                        + ": this path applies it twice",
                    List.of()));
          } else {
            problems.add(
                new Finding(
                    Kind.LOST,
                    hop,
                    h.version() + " (" + h.description() + ")",
                    CatalogChecks.lost(
                        catalog,
                        new Migration(h.version(), h.description(), null, 0, ""),
                        by,
                        release),
                    List.of()));
          }
        } else if (h.checksum() != null && h.checksum() != m.checksum()) {
          problems.add(
              new Finding(
                  Kind.EDITED,
                  hop,
                  m.label(),
                  "migration "
                      + m.label()
                      + " was edited after its release: "
                      + by
                      + " applied checksum "
                      + h.checksum()
                      + ", "
                      + release
                      + " ships "
                      + m.checksum(),
                  List.of()));
        }
        if (newest == null
            || MigrationVersion.fromVersion(h.version())
                    .compareTo(MigrationVersion.fromVersion(newest))
                > 0) {
          newest = h.version();
        }
      }
      if (!outOfOrder && newest != null) {
        Set<String> done = new LinkedHashSet<>();
        applied.forEach(h -> done.add(h.version()));
        for (Migration m : shipped) {
          if (!done.contains(m.version())
              && m.flywayVersion().compareTo(MigrationVersion.fromVersion(newest)) < 0) {
            problems.add(
                new Finding(
                    Kind.OUT_OF_ORDER,
                    hop,
                    m.label(),
                    "migration "
                        + m.label()
                        + " of "
                        + release
                        + " sorts before "
                        + newest
                        + ", already applied by "
                        + parent.appliedBy().get(newest)
                        + ": Flyway applies it only out of order (outOfOrder=true)",
                    List.of()));
          }
        }
      }
      return problems;
    }

    /** What {@code outOfOrder=true} would do on this path: replayed on a copy, compared. */
    private String withOutOfOrder(
        List<Version> path, List<Node> stack, List<History> freshHistory, String freshSchema)
        throws InterruptedException {
      Node failing = stack.stream().filter(Node::refused).findFirst().orElse(null);
      if (failing == null) {
        return null;
      }
      int at = failing.prefix().size() - 1;
      Node node = at == 0 ? null : stack.get(at - 1);
      List<String> dbs = new ArrayList<>();
      try {
        for (int i = at; i < path.size(); i++) {
          node = step(node, path.get(i), true, false);
          if (node.db() != null) {
            dbs.add(node.db());
          }
        }
        PathResult r =
            leaf(
                UpgradeRules.describe(path),
                node,
                node.refused() ? List.of() : history(node.db(), catalog.target()),
                node.refused() ? null : schema(node.db(), catalog.target()),
                freshHistory,
                freshSchema,
                null);
        String meaning =
            " outOfOrder is one Flyway setting for every upgrade of the platform: on every other path"
                + " Flyway would then also apply, silently and late, any older migration a release"
                + " forgot, the mistakes this check exists to catch; and here the backport runs after"
                + " newer migrations while a fresh install runs it before them. Prefer a backport"
                + " version that sorts below every migration the newer line adds.";
        return r.passed()
            ? "With outOfOrder=true this path would pass (same migrations, schema = fresh install)."
                + meaning
            : "Even with outOfOrder=true this path would fail: "
                + r.divergences().get(0)
                + (r.divergences().get(0).diff().isEmpty()
                    ? ""
                    : " " + String.join(" / ", r.divergences().get(0).diff()))
                + "."
                + meaning;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      } finally {
        for (String db : dbs) {
          try {
            pg.drop(db);
          } catch (SQLException e) {
            // the container goes at the end anyway
          }
        }
      }
    }

    private PathResult leaf(
        String name,
        Node node,
        List<History> history,
        String schema,
        List<History> freshHistory,
        String freshSchema,
        String outOfOrder) {
      List<Finding> problems = new ArrayList<>(node.problems());
      boolean once =
          problems.stream()
              .noneMatch(f -> f.kind() == Kind.APPLIED_TWICE || f.kind() == Kind.DUPLICATE);
      boolean lost = problems.stream().anyMatch(f -> f.kind() == Kind.LOST);
      boolean sameSchema = !node.refused();
      boolean checksums = problems.stream().noneMatch(f -> f.kind() == Kind.EDITED);
      String end = name + " (end)";
      if (!node.refused()) {
        Map<String, History> byVersion = new LinkedHashMap<>();
        for (History h : history) {
          if (!h.success() || byVersion.put(h.version(), h) != null) {
            once = false;
            problems.add(
                new Finding(
                    Kind.APPLIED_TWICE,
                    end,
                    h.version(),
                    "migration " + h.version() + " is recorded twice or failed in the history",
                    List.of()));
          }
        }
        Map<String, History> fresh = new LinkedHashMap<>();
        freshHistory.forEach(h -> fresh.put(h.version(), h));
        for (History h : freshHistory) {
          History mine = byVersion.get(h.version());
          if (mine == null) {
            lost = true;
            problems.add(
                new Finding(
                    Kind.LOST,
                    end,
                    h.version() + " (" + h.description() + ")",
                    "migration "
                        + h.version()
                        + " ("
                        + h.description()
                        + ") of a fresh install was never applied on this path",
                    List.of()));
          } else if (!Objects.equals(mine.checksum(), h.checksum())) {
            checksums = false;
            problems.add(
                new Finding(
                    Kind.CHECKSUM,
                    end,
                    h.version(),
                    "migration "
                        + h.version()
                        + " has checksum "
                        + mine.checksum()
                        + " on this path, "
                        + h.checksum()
                        + " in a fresh install",
                    List.of()));
          }
        }
        for (History h : history) {
          if (!fresh.containsKey(h.version())) {
            once = false;
            Version by = node.appliedBy().get(h.version());
            problems.add(
                new Finding(
                    Kind.DUPLICATE,
                    end,
                    h.version() + " (" + h.description() + ")",
                    "migration "
                        + h.version()
                        + " ("
                        + h.description()
                        + "), applied by "
                        + by
                        + ", is not part of a fresh install: the change is applied twice or a migration lost its name",
                    List.of()));
          }
        }
        if (freshSchema != null && schema != null) {
          List<String> diff = SchemaDiff.diff(freshSchema, schema);
          if (!diff.isEmpty()) {
            sameSchema = false;
            problems.add(
                new Finding(
                    Kind.SCHEMA,
                    end,
                    null,
                    "the final schema differs from a fresh install of "
                        + catalog.target()
                        + " (- fresh install, + this path):",
                    diff));
          }
        }
      }
      return new PathResult(
          name,
          node.hops(),
          once,
          !lost,
          sameSchema,
          checksums,
          problems,
          outOfOrder,
          node.millis());
    }

    private List<History> history(String db, Version release) throws SQLException {
      String table = catalog.historyTable(release);
      List<History> rows = new ArrayList<>();
      try (Connection c = pg.connect(db);
          Statement s = c.createStatement()) {
        try (ResultSet exists =
            s.executeQuery("SELECT to_regclass('" + table.replace("'", "''") + "') IS NOT NULL")) {
          exists.next();
          if (!exists.getBoolean(1)) {
            return rows;
          }
        }
        try (ResultSet rs =
            s.executeQuery(
                "SELECT version, description, checksum, success FROM \""
                    + table.replace("\"", "\"\"")
                    + "\" WHERE version IS NOT NULL ORDER BY installed_rank")) {
          while (rs.next()) {
            int sum = rs.getInt(3);
            rows.add(
                new History(
                    rs.getString(1), rs.getString(2), rs.wasNull() ? null : sum, rs.getBoolean(4)));
          }
        }
      }
      rows.sort(Comparator.comparing(h -> MigrationVersion.fromVersion(h.version())));
      return rows;
    }

    private String schema(String db, Version release) throws InterruptedException {
      long t0 = System.nanoTime();
      try {
        return pg.schema(db, catalog.historyTable(release));
      } finally {
        dumpNanos += System.nanoTime() - t0;
      }
    }

    private Flyway flyway(String db, Version release, boolean outOfOrder) {
      return Flyway.configure()
          .dataSource(pg.url(db), pg.user(), pg.password())
          .locations("filesystem:" + folders.get(release).toAbsolutePath())
          .table(catalog.historyTable(release))
          .outOfOrder(outOfOrder)
          .cleanDisabled(true)
          .load();
    }

    private static Finding withFlyway(Finding f, String flyway) {
      return new Finding(f.kind(), f.hop(), f.migration(), f.message() + ". " + flyway, f.diff());
    }

    private static String firstLines(String message) {
      if (message == null) {
        return "(no message)";
      }
      String[] lines = message.strip().split("\\R");
      return String.join(" ", java.util.Arrays.copyOf(lines, Math.min(lines.length, 6)))
          .replaceAll("\\s+", " ");
    }
  }
}
