#!/usr/bin/env python3
"""Reference implementation of the upshift.yaml checks, used by selftest.sh and the by-hand procedure.

  demo_platform.py lint RELEASES_DIR [BACKEND_RELEASES_TSV]   static consistency checks of all releases
  demo_platform.py db-conn DIR                                host, port, database, user, password, migrations folder
  demo_platform.py env-get ENVFILE KEY                        print a value of a .env file
  demo_platform.py env-set ENVFILE KEY VALUE                  set (replace or append) a value in a .env file
  demo_platform.py migrate-env DESCRIPTOR ENVFILE             apply the descriptor's config migration to .env
  demo_platform.py health DIR [--timeout S]                   wait until every healthChecks entry answers as expected
  demo_platform.py smoke DIR [--expect NAME=STATUS ...]       run the smokeTests (optionally overriding expectations)
  demo_platform.py db-checks DIR CONTAINER                    dataInvariants + requiredIndexes via `docker exec CONTAINER psql`
  demo_platform.py counts DIR CONTAINER                       row counts of protectedTables as JSON
  demo_platform.py compare-counts BEFORE_JSON AFTER_JSON      fail when a protected table shrank

DIR is a checked-out release (upshift.yaml, .env). Only the Python standard library and PyYAML
(python3-yaml, a dependency of Debian's docker-compose) are needed. Nothing is passed through a shell.
"""
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("demo_platform.py needs PyYAML: apt-get install -y python3-yaml")

ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


# ------------------------------------------------------------------------------------------------ .env

def read_env(path):
    """KEY=VALUE lines; no variable expansion; surrounding single/double quotes removed."""
    env = {}
    for line in Path(path).read_text().splitlines():
        m = ENV_LINE.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[m.group(1)] = value
    return env


def set_env(path, key, value, comment=None):
    lines = Path(path).read_text().splitlines()
    out, done = [], False
    for line in lines:
        m = ENV_LINE.match(line)
        if m and not line.lstrip().startswith("#") and m.group(1) == key:
            if not done:
                out.append(f"{key}={value}")
                done = True
            continue
        out.append(line)
    if not done:
        if comment:
            out += ["", f"# {comment}"]
        out.append(f"{key}={value}")
    Path(path).write_text("\n".join(out) + "\n")


def comment_out(path, key, note):
    lines = Path(path).read_text().splitlines()
    out = []
    for line in lines:
        m = ENV_LINE.match(line)
        if m and not line.lstrip().startswith("#") and m.group(1) == key:
            out.append(f"# {line.strip()}   # {note}")
        else:
            out.append(line)
    Path(path).write_text("\n".join(out) + "\n")


def migrate_env(descriptor, envfile):
    d = yaml.safe_load(Path(descriptor).read_text())
    cfg = d.get("config") or {}
    env = read_env(envfile)
    version = d["platform"]["version"]
    for dep in cfg.get("deprecated") or []:
        old, new = dep["name"], dep["replacedBy"]
        if old in env:
            if new not in env:
                set_env(envfile, new, env[old], f"{new} (renamed from {old} in {version})")
                print(f"renamed {old} -> {new} (value kept)")
            comment_out(envfile, old, f"deprecated since {dep.get('since', version)}, replaced by {new}")
            env = read_env(envfile)
    for req in cfg.get("newRequired") or []:
        name = req["name"]
        if name in env:
            continue
        if "default" not in req:
            fail(f"{name} is required by {version} and has no default: set it in {envfile}")
        set_env(envfile, name, req["default"], req.get("description") or f"new in {version}")
        print(f"added {name}={req['default']}")
        env = read_env(envfile)


# ------------------------------------------------------------------------------------------------ descriptor

def load(dirpath):
    dirpath = Path(dirpath)
    d = yaml.safe_load((dirpath / "upshift.yaml").read_text())
    env_file = dirpath / ((d.get("compose") or {}).get("envFile") or ".env")
    env = read_env(env_file) if env_file.exists() else {}
    return d, env


def interpolate(text, env):
    def sub(m):
        if m.group(1) not in env:
            fail(f"${{{m.group(1)}}} is not set in .env")
        return env[m.group(1)]
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, text)


def http(method, url, body=None, headers=None, timeout=10):
    data = body.encode() if isinstance(body, str) else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except Exception as e:  # connection refused, timeout
        return None, str(e)


def cmd_health(dirpath, timeout):
    d, env = load(dirpath)
    ok = True
    for hc in d.get("healthChecks") or []:
        url = interpolate(hc["url"], env)
        limit = min(timeout, hc.get("timeoutSeconds", timeout))
        deadline = time.monotonic() + limit
        while True:
            status, text = http("GET", url, timeout=5)
            if status == hc.get("expectStatus", 200):
                print(f"health {hc['name']}: {status} {text.strip()[:200]}")
                break
            if time.monotonic() > deadline:
                print(f"health {hc['name']}: FAIL after {limit}s: {status} {text.strip()[:300]}")
                ok = False
                break
            time.sleep(1)
    sys.exit(0 if ok else 1)


def cmd_smoke(dirpath, overrides):
    d, env = load(dirpath)
    ok = True
    for t in d.get("smokeTests") or []:
        url = interpolate(t["url"], env)
        expect = overrides.get(t["name"], t.get("expectStatus", 200))
        status, text = http(t.get("method", "GET"), url, t.get("body"), t.get("headers"))
        good = status == expect
        detail = ""
        if good and t.get("expectJson"):
            try:
                got = json.loads(text)
                for k, v in t["expectJson"].items():
                    if got.get(k) != v:
                        good, detail = False, f" (expected {k}={v!r}, got {got.get(k)!r})"
            except ValueError:
                good, detail = False, " (body is not JSON)"
        print(f"smoke {t['name']:<12} {t.get('method', 'GET'):<5} {url} -> {status} (expected {expect}) "
              f"{'OK' if good else 'FAIL'}{detail}" + ("" if good else f"  body: {text.strip()[:200]}"))
        ok = ok and good
    sys.exit(0 if ok else 1)


def psql(container, env, d, sql):
    db = (d.get("database") or {})
    var = db.get("variables") or {}
    user = env.get(var.get("user", "POSTGRES_USER"), "postgres")
    name = env.get(var.get("name", "POSTGRES_DB"), db.get("defaultName", "postgres"))
    r = subprocess.run(["docker", "exec", container, "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
                        "-U", user, "-d", name, "-c", sql], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"psql failed: {r.stderr.strip()}  (SQL: {sql})")
    return [line for line in r.stdout.splitlines() if line.strip()]


def cmd_db_conn(dirpath):
    d, env = load(dirpath)
    db = d.get("database") or {}
    var = db.get("variables") or {}
    values = []
    for key, fallback in (("port", None), ("name", db.get("defaultName")), ("user", None), ("password", None)):
        name = var.get(key)
        value = env.get(name) if name else None
        if value is None:
            value = fallback
        if value is None or "\n" in value:
            fail(f"database.variables.{key} ({name}) is not set in .env")
        values.append(value)
    location = (db.get("migrations") or {}).get("location", "migrations")
    if location.startswith("/") or ".." in location.split("/"):
        fail(f"database.migrations.location must be a relative folder, got {location!r}")
    print("\n".join([db.get("host", "127.0.0.1")] + values + [location]))


def cmd_db_checks(dirpath, container):
    d, env = load(dirpath)
    ok = True
    for inv in d.get("dataInvariants") or []:
        rows = psql(container, env, d, inv["sql"])
        print(f"invariant {inv['name']}: {'OK' if not rows else 'FAIL (' + str(len(rows)) + ' rows, e.g. ' + rows[0] + ')'}")
        ok = ok and not rows
    for idx in d.get("requiredIndexes") or []:
        rows = psql(container, env, d, "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() "
                    f"AND tablename = '{idx['table']}' AND indexname = '{idx['name']}'")
        print(f"index {idx['table']}.{idx['name']}: {'OK' if rows else 'MISSING'}")
        ok = ok and bool(rows)
    sys.exit(0 if ok else 1)


def cmd_counts(dirpath, container):
    d, env = load(dirpath)
    counts = {}
    for table in d.get("protectedTables") or []:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            fail(f"unexpected table name {table!r}")
        counts[table] = int(psql(container, env, d, f"SELECT count(*) FROM {table}")[0])
    print(json.dumps(counts, sort_keys=True))


def cmd_compare_counts(before, after):
    b, a = json.loads(Path(before).read_text()), json.loads(Path(after).read_text())
    ok = True
    for table, n in b.items():
        m = a.get(table)
        good = m is not None and m >= n
        print(f"rows {table}: {n} -> {m} {'OK' if good else 'SHRANK'}")
        ok = ok and good
    sys.exit(0 if ok else 1)


# ------------------------------------------------------------------------------------------------ lint

def version_key(v):
    return [int(p) for p in re.split(r"[._]", v)]


def cmd_lint(releases_dir, backend_tsv=None):
    releases_dir = Path(releases_dir)
    problems = []
    images = {}
    if backend_tsv:
        for line in Path(backend_tsv).read_text().splitlines():
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                images[parts[0]] = parts[1]
    migrations = {}  # file name -> (release, content)
    manifest = [l.split() for l in (releases_dir / "releases.tsv").read_text().splitlines()
                if l.strip() and not l.startswith("#")]
    for tag, *_ in manifest:
        rd = releases_dir / tag
        d = yaml.safe_load((rd / "upshift.yaml").read_text())
        p = lambda msg: problems.append(f"{tag}: {msg}")
        if d.get("descriptorVersion") != 1:
            p("descriptorVersion must be 1")
        if d["platform"]["version"] != tag:
            p(f"platform.version {d['platform']['version']} != folder/tag {tag}")
        files = sorted((rd / "migrations").glob("V*__*.sql"))
        versions = [f.name[1:].split("__")[0] for f in files]
        top = max(versions, key=version_key)
        req = d["database"]["requiredSchemaVersion"]
        if req != top:
            p(f"requiredSchemaVersion {req} != highest migration {top}")
        post = d["database"]["migrations"].get("postDeploymentFrom")
        if post is not None:
            # Expand/contract: the release starts on the schema the downtime leaves, the highest
            # version below postDeploymentFrom; requiredSchemaVersion holds after the post phase.
            before_post = [v for v in versions if version_key(v) < version_key(str(post))]
            started_on = max(before_post, key=version_key) if before_post else None
            if images and images.get(tag) != started_on:
                p(f"backend image for {tag} requires schema {images.get(tag)}, but it starts on"
                  f" {started_on} (the highest migration below postDeploymentFrom {post})")
        elif images and images.get(tag) != req:
            p(f"backend image for {tag} requires schema {images.get(tag)}, descriptor says {req}")
        for f in files:
            content = f.read_bytes()
            if f.name in migrations and migrations[f.name][1] != content:
                p(f"{f.name} differs from the copy in {migrations[f.name][0]} (a release must carry identical history)")
            migrations.setdefault(f.name, (tag, content))
            if b"${" in content:
                p(f"{f.name} contains '${{' (Flyway would treat it as a placeholder)")
        compose = (rd / "docker-compose.yml").read_text()
        if f"upshift-demo/backend:{tag}\n" not in compose:
            p("docker-compose.yml does not use backend image tag " + tag)
        example = read_env(rd / ".env.example")
        needed = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", compose))
        for var in sorted(needed - set(example)):
            p(f"compose requires {var} but .env.example does not define it")
        cfg = d.get("config") or {}
        for req_var in cfg.get("newRequired") or []:
            if req_var["name"] not in example:
                p(f"newRequired {req_var['name']} missing from .env.example")
        for dep in cfg.get("deprecated") or []:
            if dep["name"] in example:
                p(f"deprecated {dep['name']} still in .env.example")
            if dep["replacedBy"] not in example:
                p(f"replacement {dep['replacedBy']} missing from .env.example")
        names = {s["name"] for s in d["services"]}
        if d["database"]["service"] not in names:
            p("database.service is not among services")
        apps = [s["stopOrder"] for s in d["services"] if s["role"] == "application"]
        dbs = [s["stopOrder"] for s in d["services"] if s["role"] == "database"]
        if apps and dbs and max(apps) >= min(dbs):
            p("application services must stop before the database (stopOrder)")
        for s in names:
            if not re.search(rf"(?m)^  {re.escape(s)}:$", compose):
                p(f"service {s} not found in docker-compose.yml")
    for line in problems:
        print("lint:", line)
    print(f"lint: {len(manifest)} releases checked, {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "lint":
        cmd_lint(*args)
    elif cmd == "db-conn":
        cmd_db_conn(args[0])
    elif cmd == "env-get":
        env = read_env(args[0])
        if args[1] not in env:
            fail(f"{args[1]} not set in {args[0]}")
        print(env[args[1]])
    elif cmd == "env-set":
        set_env(args[0], args[1], args[2])
    elif cmd == "migrate-env":
        migrate_env(args[0], args[1])
    elif cmd == "health":
        timeout = 120
        if len(args) == 3 and args[1] == "--timeout":
            timeout = int(args[2])
        cmd_health(args[0], timeout)
    elif cmd == "smoke":
        overrides = {}
        rest = args[1:]
        while rest:
            if rest[0] != "--expect" or len(rest) < 2 or "=" not in rest[1]:
                fail("usage: smoke DIR [--expect NAME=STATUS ...]")
            name, status = rest[1].split("=", 1)
            overrides[name] = int(status)
            rest = rest[2:]
        cmd_smoke(args[0], overrides)
    elif cmd == "db-checks":
        cmd_db_checks(args[0], args[1])
    elif cmd == "counts":
        cmd_counts(args[0], args[1])
    elif cmd == "compare-counts":
        cmd_compare_counts(args[0], args[1])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
