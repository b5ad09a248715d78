#!/usr/bin/env python3
"""Rows and summary of bench/downtime.sh.

  downtime_report.py row RUN_DIR      one TSV row (no header) from RUN_DIR/{probe.json,meta.tsv,phases.tsv}
  downtime_report.py header           the header of those rows
  downtime_report.py summary FILE     per scenario and contestant: median and spread, ratios, lost writes,
                                      Upshift's estimate and reported downtime against the measured one

meta.tsv: key<TAB>value lines (scenario, contestant, round, wall_s, release, load, lost, reported_s,
allstarted_s, estimate_s). phases.tsv: name<TAB>start epoch ms<TAB>end epoch ms, one line per step
or phase; the row names the phases that overlap the longest outage and by how many seconds.
"""
import json
import os
import statistics
import sys

COLUMNS = ["scenario", "contestant", "round", "downtime_s", "outage_total_s", "windows", "unfinished",
           "max_probe_gap_ms", "writes_attempted", "writes_acked", "writes_failed", "writes_lost", "wall_s",
           "reported_s", "allstarted_s", "estimate_s", "release", "load", "in_outage", "write_gap_s"]
CONTESTANTS = ["upshift", "safe-order", "seed-001", "floor"]


def read_meta(d):
    meta = {}
    p = os.path.join(d, "meta.tsv")
    if os.path.exists(p):
        for line in open(p):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                meta[k] = v
    return meta


def in_outage(d, start, end):
    p = os.path.join(d, "phases.tsv")
    if start is None or not os.path.exists(p):
        return "-"
    parts = []
    for line in open(p):
        f = line.rstrip("\n").split("\t")
        if len(f) < 3 or not f[1] or not f[2]:
            continue
        s, e = int(f[1]), int(f[2])
        overlap = (min(e, end) - max(s, start)) / 1000.0
        if overlap >= 0.05:
            parts.append("%s %.1f" % (f[0], overlap))
    return ", ".join(parts) or "-"


def write_gap(d):
    """The longest time between two acknowledged writes (seconds): how long nobody could write."""
    p = os.path.join(d, "writes.tsv")
    if not os.path.exists(p):
        return "-"
    acks = [int(line.split("\t")[0]) for line in open(p) if line.split("\t")[2] == "201"]
    gaps = [b - a for a, b in zip(acks, acks[1:])]
    return "%.2f" % (max(gaps) / 1000.0) if gaps else "-"


def row(d):
    probe = json.load(open(os.path.join(d, "probe.json")))
    meta = read_meta(d)
    values = {
        "downtime_s": "%.2f" % probe["downtimeSeconds"],
        "outage_total_s": "%.2f" % probe["outageTotalSeconds"],
        "windows": str(len(probe["windows"])),
        "unfinished": "yes" if probe["unfinished"] else "no",
        "max_probe_gap_ms": str(probe["maxProbeGapMs"]),
        "writes_attempted": str(probe["writesAttempted"]),
        "writes_acked": str(probe["writesAcknowledged"]),
        "writes_failed": str(probe["writesFailed"]),
        "writes_lost": meta.get("lost", "?"),
        "in_outage": in_outage(d, probe["downtimeStartMs"], probe["downtimeEndMs"]),
        "write_gap_s": write_gap(d),
    }
    for k in COLUMNS:
        values.setdefault(k, meta.get(k, "-") or "-")
    print("\t".join(values[k] for k in COLUMNS))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def median(xs):
    return statistics.median(xs) if xs else None


def fmt(x, unit=" s"):
    return "-" if x is None else "%.2f%s" % (x, unit)


def summary(path):
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                fields = line.rstrip("\n").split("\t")
                rows.append(dict(zip(COLUMNS if len(fields) == len(COLUMNS) else header, fields)))
    scenarios = []
    for r in rows:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
    print("| scenario | contestant | runs | downtime median | min - max | total outage median | longest gap between acknowledged writes, median | writes acked / attempted (sum) | writes lost (sum) | wall time median |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    med = {}
    for sc in scenarios:
        for c in CONTESTANTS:
            rs = [r for r in rows if r["scenario"] == sc and r["contestant"] == c]
            if not rs:
                continue
            d = [num(r["downtime_s"]) for r in rs]
            med[(sc, c)] = median(d)
            wg = [num(r.get("write_gap_s")) for r in rs if num(r.get("write_gap_s")) is not None]
            print("| %s | %s | %d | **%s** | %s - %s | %s | %s | %d / %d | %d | %s |" % (
                sc, c, len(rs), fmt(median(d)), fmt(min(d)), fmt(max(d)),
                fmt(median([num(r["outage_total_s"]) for r in rs])),
                fmt(median(wg)) + (" (%d runs)" % len(wg) if len(wg) != len(rs) else ""),
                sum(int(num(r["writes_acked"]) or 0) for r in rs),
                sum(int(num(r["writes_attempted"]) or 0) for r in rs),
                sum(int(num(r["writes_lost"]) or 0) for r in rs),
                fmt(median([num(r["wall_s"]) for r in rs if num(r["wall_s"]) is not None]))))
    print()
    med_total = {}
    for sc in scenarios:
        for c in CONTESTANTS:
            t = [num(r["outage_total_s"]) for r in rows if r["scenario"] == sc and r["contestant"] == c]
            if t:
                med_total[(sc, c)] = median(t)
    print("| scenario | measure | Upshift / safe-order (goal <= 0.5) | Upshift / seed-001 (goal <= 1, never above) | Upshift / floor (goal <= 1.2) |")
    print("|---|---|---|---|---|")
    for sc in scenarios:
        for label, table, col in (("longest outage (downtime)", med, "downtime_s"),
                                  ("all outage windows summed", med_total, "outage_total_s")):
            u = table.get((sc, "upshift"))
            cells = []
            for c, goal in (("safe-order", 0.5), ("seed-001", 1.0), ("floor", 1.2)):
                o = table.get((sc, c))
                if u is None or not o:
                    cells.append("-")
                    continue
                ratio = u / o
                extra = ""
                if c == "seed-001":
                    up = [num(r[col]) for r in rows if r["scenario"] == sc and r["contestant"] == "upshift"]
                    sd = [num(r[col]) for r in rows if r["scenario"] == sc and r["contestant"] == c]
                    extra = "; slowest Upshift %.2f s, fastest seed-001 %.2f s" % (max(up), min(sd))
                cells.append("%.2fx (%s)%s" % (ratio, "met" if ratio <= goal else "missed", extra))
            print("| %s | %s | %s |" % (sc, label, " | ".join(cells)))
    print()
    dominates(rows, scenarios)
    print()
    print("| scenario | Upshift run | measured (prober) | Upshift reported (users' view) | until all services started | estimate | estimate / measured |")
    print("|---|---|---|---|---|---|---|")
    for sc in scenarios:
        errs = []
        for r in rows:
            if r["scenario"] != sc or r["contestant"] != "upshift":
                continue
            m, e = num(r["downtime_s"]), num(r["estimate_s"])
            q = "-"
            if m and e is not None:
                q = "%.2fx" % (e / m)
                errs.append(e / m)
            print("| %s | %s | %s | %s | %s | %s | %s |" % (sc, r["round"], fmt(m), fmt(num(r["reported_s"])),
                                                           fmt(num(r["allstarted_s"])), fmt(e), q))
        if errs:
            med_q = median(errs)
            print("| %s | median | | | | | **%.2fx** (goal 0.75x - 1.25x: %s) |" % (
                sc, med_q, "met" if 0.75 <= med_q <= 1.25 else "missed"))


def upshift(run_json, d):
    """phases.tsv from the run's steps; reported and estimated downtime from their summaries."""
    import re
    from datetime import datetime

    def ms(ts):
        return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000) if ts else None

    run = json.load(open(run_json))
    meta = {}
    with open(os.path.join(d, "phases.tsv"), "w") as f:
        for st in run.get("steps") or []:
            s, e = ms(st.get("startedAt")), ms(st.get("endedAt"))
            if s is not None:
                f.write("%s\t%d\t%s\n" % (st.get("elementId") or st.get("jobType"), s, "" if e is None else e))
            summ = st.get("summary") or ""
            m = re.search(r"estimated downtime ([0-9.]+) s", summ)
            if m and st.get("jobType") == "upshift.backup.rehearse":
                meta["estimate_s"] = m.group(1)
            m = re.search(r"downtime ([0-9.]+) s as users saw it.*?, ([0-9.]+) s until all services started", summ)
            if m and st.get("jobType") == "upshift.compose.up":
                meta["reported_s"], meta["allstarted_s"] = m.group(1), m.group(2)
    with open(os.path.join(d, "meta.tsv"), "a") as f:
        for k, v in meta.items():
            f.write("%s\t%s\n" % (k, v))


def dominates(rows, scenarios):
    """Per scenario and contestant: the runs' downtimes in order, and the median overlap of each step
    or phase with the longest outage (over all runs; 0 where a run's outage did not reach it)."""
    print("| scenario | contestant | each run's downtime (round order) | inside the longest outage: median seconds per step / phase |")
    print("|---|---|---|---|")
    for sc in scenarios:
        for c in CONTESTANTS:
            rs = sorted((r for r in rows if r["scenario"] == sc and r["contestant"] == c), key=lambda r: int(r["round"]))
            if not rs:
                continue
            names, per_run = [], []
            for r in rs:
                parts = {}
                for part in (r.get("in_outage") or "-").split(", "):
                    if " " in part:
                        name, v = part.rsplit(" ", 1)
                        parts[name] = float(v)
                        if name not in names:
                            names.append(name)
                per_run.append(parts)
            cells = ["%s %.1f" % (n, median([p.get(n, 0.0) for p in per_run])) for n in names]
            print("| %s | %s | %s | %s |" % (sc, c, " / ".join(r["downtime_s"] for r in rs), ", ".join(cells) or "-"))


def main():
    if sys.argv[1] == "upshift":
        upshift(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "header":
        print("\t".join(COLUMNS))
    elif sys.argv[1] == "row":
        row(sys.argv[2])
    elif sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        sys.exit("usage: downtime_report.py header|row RUN_DIR|summary FILE")


if __name__ == "__main__":
    main()
