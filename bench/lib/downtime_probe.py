#!/usr/bin/env python3
"""Prober and writer of bench/downtime.sh: what the users of the demo platform see during an upgrade.

  downtime_probe.py BASE_URL OUT_DIR STOP_FILE MAX_SECONDS TAG

- prober: GET BASE_URL/health every 50 ms (timeout 1 s); a probe counts as up only on a 2xx answer.
- writer: POST an item every 100 ms (timeout 2 s) to /api/items; on 410 (2.0.0 moved the API) the
  same write is sent to /api/v2/items and the writer stays there. A write is acknowledged when the
  answer is 201 with the item's id; the ids go to OUT_DIR/acked-ids.
Both run until STOP_FILE exists (or MAX_SECONDS passed); then OUT_DIR/probe.json holds the figures:
the longest window without a 2xx answer (from the first failed probe to the first success after it),
every window, and the writes attempted / acknowledged / failed. OUT_DIR/probes.tsv and writes.tsv keep
every probe and write (epoch ms, status).
"""
import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlparse

PROBE_INTERVAL = 0.050
WRITE_INTERVAL = 0.100


def request(base, method, path, body=None, timeout=1.0):
    """(status, parsed JSON or None); status 0 when there was no HTTP answer."""
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        return r.status, doc
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


def now_ms():
    return time.time_ns() // 1_000_000


def main():
    base, out, stop_file, max_seconds, tag = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    deadline = time.monotonic() + max_seconds
    probes, writes = [], []  # (epoch ms, status), (epoch ms, n, status, id)

    def running():
        return not os.path.exists(stop_file) and time.monotonic() < deadline

    def prober():
        nxt = time.monotonic()
        while running():
            t = now_ms()
            status, _ = request(base, "GET", "/health", timeout=1.0)
            probes.append((t, status))
            nxt += PROBE_INTERVAL
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()  # behind (slow answer or a busy machine): no burst to catch up

    def writer():
        path = "/api/items"
        n = 0
        nxt = time.monotonic()
        while running():
            n += 1
            body = json.dumps({"name": "downtime bench %s %d" % (tag, n), "quantity": 1})
            t = now_ms()
            status, doc = request(base, "POST", path, body=body, timeout=2.0)
            if status == 410 and path == "/api/items":
                path = "/api/v2/items"
                status, doc = request(base, "POST", path, body=body, timeout=2.0)
            item_id = doc.get("id") if status == 201 and isinstance(doc, dict) else None
            writes.append((t, n, status, item_id))
            nxt += WRITE_INTERVAL
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()

    threads = [threading.Thread(target=prober), threading.Thread(target=writer)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    windows = []  # [start ms, end ms or None]
    for t, status in probes:
        up = 200 <= status < 300
        if not up and (not windows or windows[-1][1] is not None):
            windows.append([t, None])
        elif up and windows and windows[-1][1] is None:
            windows[-1][1] = t
    unfinished = bool(windows) and windows[-1][1] is None
    if unfinished:
        windows[-1][1] = probes[-1][0]
    lengths = [(e - s) / 1000.0 for s, e in windows]
    longest = max(range(len(windows)), key=lambda i: lengths[i]) if windows else None
    gaps = [b[0] - a[0] for a, b in zip(probes, probes[1:])]
    acked = [w[3] for w in writes if w[3] is not None]
    with open(os.path.join(out, "acked-ids"), "w") as f:
        f.write("".join("%s\n" % i for i in acked))
    with open(os.path.join(out, "probes.tsv"), "w") as f:
        f.write("".join("%d\t%d\n" % p for p in probes))
    with open(os.path.join(out, "writes.tsv"), "w") as f:
        f.write("".join("%d\t%d\t%d\t%s\n" % w for w in writes))
    result = {
        "probes": len(probes),
        "probesUp": sum(1 for _, s in probes if 200 <= s < 300),
        "maxProbeGapMs": max(gaps) if gaps else None,
        "downtimeSeconds": lengths[longest] if windows else 0.0,
        "downtimeStartMs": windows[longest][0] if windows else None,
        "downtimeEndMs": windows[longest][1] if windows else None,
        "outageTotalSeconds": round(sum(lengths), 3),
        "windows": [[s, e] for s, e in windows],
        "unfinished": unfinished,
        "writesAttempted": len(writes),
        "writesAcknowledged": len(acked),
        "writesFailed": len(writes) - len(acked),
    }
    with open(os.path.join(out, "probe.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
