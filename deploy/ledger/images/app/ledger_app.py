#!/usr/bin/env python3
"""Upshift ledger platform: API, worker, manager, the files database's migration runner and the admin tool.

One program, one image tag per release. It is installed as /usr/local/bin/ledger-app, with the links
ledger-migrate and ledger-admin (the name it is called by selects the tool):

  ledger-app serve                  HTTP API on $LISTEN_PORT (default 8080)
  ledger-app worker                 background worker: posts new ledger entries, batch by batch (no HTTP port)
  ledger-app manager                registers the running release, then heartbeats; api and worker wait for it
  ledger-app probe                  health probe of the API container (exit 0 when GET /health answers 200)
  ledger-app manager-health         health probe of the manager container (exit 0 when its heartbeat is fresh)
  ledger-migrate upgrade|status     migrations of the files database (shipped in the image, version table
                                    ledger_migrate_version, one row, like Alembic's alembic_version)
  ledger-admin apply-missing-revisions PREVIOUS_VERSION
                                    data revisions of the releases after PREVIOUS_VERSION up to this one;
                                    each is recorded in the ledger table admin_revisions, so a re-run does nothing

Baked into each image tag:
  APP_RELEASE          the release (e.g. 1.1.0)
  APP_REQUIRED_LEDGER  Flyway version the ledger database must have at least (e.g. 2)
  APP_REQUIRED_FILES   ledger-migrate version the files database must have at least (e.g. 2)
  APP_FAULT            "" or "health" (the API never becomes healthy)

Runtime (docker-compose.yml and .env):
  LEDGER_DATABASE_URL, FILES_DATABASE_URL   postgresql://user:password@host:port/name
  LEDGER_CURRENCY      three upper-case letters; required from release 1.1.0 on
  LEDGER_CONFIG        the configuration file (default /etc/ledger/ledger.ini, the release's config/)
  UPLOADS_DIR          where the API writes one file per item (default /data/uploads, volume "uploads")
"""
import os
import sys
import time

MANAGER_READY_FILE = "/tmp/ledger-manager.ready"
MANAGER_READY_SECONDS = 30

if __name__ == "__main__" and sys.argv[1:] == ["manager-health"]:
    # The manager's healthcheck runs every 2 s, also on a loaded machine: answer before the imports below.
    try:
        sys.exit(0 if time.time() - os.stat(MANAGER_READY_FILE).st_mtime < MANAGER_READY_SECONDS else 1)
    except OSError:
        sys.exit(1)

import configparser  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RELEASE = os.environ.get("APP_RELEASE", "0.0.0")
REQUIRED = {"ledger": os.environ.get("APP_REQUIRED_LEDGER", "1"), "files": os.environ.get("APP_REQUIRED_FILES", "1")}
FAULT = os.environ.get("APP_FAULT", "").strip()
MIGRATIONS_DIR = os.environ.get("LEDGER_MIGRATIONS_DIR", "/opt/ledger/files-migrations")
UPLOADS_DIR = os.environ.get("UPLOADS_DIR", "/data/uploads")
CONFIG_FILE = os.environ.get("LEDGER_CONFIG", "/etc/ledger/ledger.ini")
VERSION_TABLE = "ledger_migrate_version"
MANAGER_STALE_SECONDS = 60
CONNECT_TIMEOUT = 10  # seconds; generous, a loaded machine is slow to accept connections

log = logging.getLogger("ledger")


class ConfigError(Exception):
    pass


def parse_version(text):
    """'v1.2.0-fail-health' -> (1, 2, 0); '2.1' -> (2, 1). Non-numeric parts end the version."""
    text = (text or "").strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    parts = []
    for piece in re.split(r"[._]", text.split("-", 1)[0]):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def padded(v, width=4):
    return tuple(list(v) + [0] * (width - len(v)))


def version_at_least(current, required):
    return padded(parse_version(current)) >= padded(parse_version(required))


REL = parse_version(RELEASE)
HAS_CURRENCY = padded(REL) >= padded((1, 1, 0))       # entries.currency, files.size_bytes (schemas 2/2)
HAS_CONTENT_TYPE = padded(REL) >= padded((1, 2, 0))   # files.content_type (files schema 3)


def setup_logging(role):
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(stream=sys.stdout, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    log.info("upshift-ledger %s %s (requires ledger schema %s, files schema %s%s)", RELEASE, role,
             REQUIRED["ledger"], REQUIRED["files"], f", fault={FAULT}" if FAULT else "")


def currency(required):
    value = os.environ.get("LEDGER_CURRENCY", "").strip()
    if not value:
        if required and HAS_CURRENCY:
            raise ConfigError(f"required variable LEDGER_CURRENCY is not set (see .env.example of release {RELEASE})")
        return None
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ConfigError(f"LEDGER_CURRENCY must be three upper-case letters (ISO 4217), got {value!r}")
    return value


def load_config():
    parser = configparser.ConfigParser()
    if not parser.read(CONFIG_FILE):
        raise ConfigError(f"configuration file {CONFIG_FILE} not found (mount the release's config/ directory there)")
    try:
        cfg = {
            "max_name_length": parser.getint("api", "max_name_length", fallback=200),
            "page_size": parser.getint("api", "page_size", fallback=50),
            "worker_interval": parser.getfloat("worker", "interval_seconds", fallback=2.0),
            "worker_batch": parser.getint("worker", "batch_size", fallback=100),
        }
    except ValueError as e:
        raise ConfigError(f"{CONFIG_FILE}: {e}") from None
    cfg["sections"] = {s: dict(parser.items(s)) for s in parser.sections()}
    return cfg


def database_url(name):
    var = {"ledger": "LEDGER_DATABASE_URL", "files": "FILES_DATABASE_URL"}[name]
    url = os.environ.get(var, "").strip()
    if not url:
        raise ConfigError(f"required variable {var} is not set")
    return url


def connect(name, timeout=CONNECT_TIMEOUT):
    import psycopg2  # lazily, so probes start fast
    return psycopg2.connect(database_url(name), connect_timeout=timeout,
                            application_name=f"upshift-ledger-{RELEASE}")


@contextlib.contextmanager
def db(name, timeout=CONNECT_TIMEOUT):
    """A connection that commits when the block succeeds, rolls back when it fails, and is always closed."""
    conn = connect(name, timeout)
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def table_exists(conn, table):
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        return cur.fetchone()[0]


def ledger_schema(conn):
    """Highest successful Flyway version of the ledger database, or None."""
    if not table_exists(conn, "flyway_schema_history"):
        return None
    with conn.cursor() as cur:
        cur.execute("SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL")
        versions = [r[0] for r in cur.fetchall()]
    return max(versions, key=lambda v: padded(parse_version(v))) if versions else None


def files_schema(conn):
    """The files database's version (ledger_migrate_version), or None."""
    if not table_exists(conn, VERSION_TABLE):
        return None
    with conn.cursor() as cur:
        cur.execute(f"SELECT version FROM {VERSION_TABLE}")
        row = cur.fetchone()
    return row[0] if row else None


def schema_problems(ledger, files):
    """(versions, problems): problems is empty when both schemas are at the versions this release needs."""
    versions = {"ledger": ledger_schema(ledger), "files": files_schema(files)}
    problems = []
    tools = {"ledger": "Flyway (migrations/ledger)", "files": "ledger-migrate upgrade"}
    for db, current in versions.items():
        if current is None:
            problems.append(f"{db} database not migrated (release {RELEASE} needs version {REQUIRED[db]}; run {tools[db]})")
        elif not version_at_least(current, REQUIRED[db]):
            problems.append(f"{db} schema version {current} is older than {REQUIRED[db]} required by release {RELEASE} "
                            f"(run {tools[db]})")
    return versions, problems


def manager_problem(ledger):
    with ledger.cursor() as cur:
        cur.execute("SELECT release, heartbeat_at > now() - make_interval(secs => %s) FROM platform_manager WHERE id = 1",
                    (MANAGER_STALE_SECONDS,))
        row = cur.fetchone()
    if row is None:
        return "the manager has not started yet (start the manager service first)"
    if row[0] != RELEASE:
        return f"the manager runs release {row[0]}, not {RELEASE}"
    if not row[1]:
        return "the manager's heartbeat is older than %d s" % MANAGER_STALE_SECONDS
    return None


# ---------------------------------------------------------------------------------------------- HTTP API

class ApiError(Exception):
    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class Handler(BaseHTTPRequestHandler):
    server_version = "upshift-ledger"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    cfg = None
    currency = None

    def log_message(self, fmt, *args):
        level = logging.DEBUG if self.path == "/health" else logging.INFO
        logging.getLogger("http").log(level, "%s %s", self.address_string(), fmt % args)

    def send_json(self, status, body):
        data = json.dumps(body, default=str).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.info("client went away before the %d answer to %s %s", status, self.command, self.path)

    def dispatch(self, method):
        url = urlparse(self.path)
        try:
            if method == "GET" and url.path == "/health":
                return self.health()
            if method == "GET" and url.path == "/api/version":
                return self.version()
            if url.path == "/api/items":
                if method == "GET":
                    return self.list_items(parse_qs(url.query))
                if method == "POST":
                    return self.create_item()
                raise ApiError(405, f"{method} not allowed on /api/items (GET, POST)")
            m = re.fullmatch(r"/api/items/(\d{1,18})", url.path)
            if m and method == "GET":
                return self.get_item(int(m.group(1)))
            raise ApiError(404, f"no such endpoint: {method} {url.path}")
        except ApiError as e:
            self.send_json(e.status, e.body)
        except Exception as e:  # database down, disk full, ...
            log.warning("%s %s failed: %s", method, url.path, e)
            self.send_json(503, {"error": f"{type(e).__name__}: {e}".strip()})

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def health(self):
        problems = []
        versions = {}
        try:
            with db("ledger") as ledger, db("files") as files:
                versions, problems = schema_problems(ledger, files)
                if not problems:
                    p = manager_problem(ledger)
                    if p:
                        problems.append(p)
        except Exception as e:
            problems.append(f"database unreachable: {str(e).strip()}")
        if not os.access(UPLOADS_DIR, os.W_OK):
            problems.append(f"uploads directory {UPLOADS_DIR} is not writable")
        if FAULT == "health" and not problems:
            problems.append("receipt index never became ready (fault of release %s)" % RELEASE)
        if problems:
            return self.send_json(503, {"status": "DOWN", "release": RELEASE, "schemas": versions,
                                        "reason": "; ".join(problems)})
        self.send_json(200, {"status": "UP", "release": RELEASE, "schemas": versions})

    def version(self):
        versions = {}
        try:
            with db("ledger") as ledger, db("files") as files:
                versions = {"ledger": ledger_schema(ledger), "files": files_schema(files)}
        except Exception as e:
            versions = {"error": str(e).strip()}
        self.send_json(200, {"release": RELEASE, "required": REQUIRED, "schemas": versions,
                             "currency": self.currency, "config": self.cfg["sections"]})

    def list_items(self, query):
        try:
            limit = int(query.get("limit", [self.cfg["page_size"]])[0])
        except ValueError:
            raise ApiError(400, "limit must be an integer") from None
        if not 1 <= limit <= 1000:
            raise ApiError(400, "limit must be between 1 and 1000")
        with db("ledger") as ledger, ledger.cursor() as cur:
            cur.execute("SELECT id, name, quantity, created_at FROM entries ORDER BY id DESC LIMIT %s", (limit,))
            items = [{"id": r[0], "name": r[1], "quantity": r[2], "createdAt": r[3].isoformat()} for r in cur.fetchall()]
        self.send_json(200, {"items": items, "limit": limit})

    def get_item(self, item_id):
        """Where one item is: its ledger row, its files row and its upload, each checked on its own."""
        with db("ledger") as ledger, ledger.cursor() as cur:
            cur.execute("SELECT name, quantity FROM entries WHERE id = %s", (item_id,))
            entry = cur.fetchone()
        with db("files") as files, files.cursor() as cur:
            cur.execute("SELECT name, path FROM files WHERE item_id = %s", (item_id,))
            file_row = cur.fetchone()
        path = os.path.join(UPLOADS_DIR, f"{item_id}.json")
        upload = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                upload = json.load(f)
        body = {"id": item_id, "ledger": entry is not None, "files": file_row is not None, "upload": upload is not None,
                "name": (entry or file_row or [None])[0] or (upload or {}).get("name")}
        if entry:
            body["quantity"] = entry[1]
        self.send_json(200 if (entry or file_row or upload) else 404, body)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > 65536:
            raise ApiError(400, "a JSON body (at most 64 KiB) is required")
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            raise ApiError(400, "body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "body must be a JSON object")
        return body

    def create_item(self):
        """One write = a ledger entry, a files row and an upload file; 201 only when all three are stored."""
        body = self.read_json()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "name is required (a non-blank string)")
        if len(name) > self.cfg["max_name_length"]:
            raise ApiError(400, f"name is longer than {self.cfg['max_name_length']} characters")
        quantity = body.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(400, "quantity must be a non-negative integer")
        ledger = connect("ledger")
        try:
            with ledger.cursor() as cur:
                if HAS_CURRENCY:
                    cur.execute("INSERT INTO entries (name, quantity, currency) VALUES (%s, %s, %s) RETURNING id, created_at",
                                (name, quantity, self.currency))
                else:
                    cur.execute("INSERT INTO entries (name, quantity) VALUES (%s, %s) RETURNING id, created_at",
                                (name, quantity))
                item_id, created = cur.fetchone()
            item = {"id": item_id, "name": name, "quantity": quantity, "createdAt": created.isoformat(),
                    "release": RELEASE}
            if HAS_CURRENCY:
                item["currency"] = self.currency
            data = json.dumps(item, sort_keys=True).encode()
            path = os.path.join(UPLOADS_DIR, f"{item_id}.json")
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            with db("files") as files, files.cursor() as cur:
                columns, values = ["item_id", "name", "path"], [item_id, name, path]
                if HAS_CURRENCY:
                    columns.append("size_bytes")
                    values.append(len(data))
                if HAS_CONTENT_TYPE:
                    columns.append("content_type")
                    values.append("application/json")
                cur.execute(f"INSERT INTO files ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))})", values)
            ledger.commit()
        finally:
            ledger.close()
        self.send_json(201, item)


def serve():
    cfg = load_config()
    Handler.cfg = cfg
    Handler.currency = currency(required=True)
    port = int(os.environ.get("LISTEN_PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True

    def stop(signum, _frame):
        log.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("API listening on port %d (uploads in %s)", port, UPLOADS_DIR)
    server.serve_forever()
    log.info("API stopped")
    return 0


# ---------------------------------------------------------------------------------------------- worker, manager

class Stopping:
    def __init__(self):
        self.event = threading.Event()
        signal.signal(signal.SIGTERM, lambda s, f: self.event.set())
        signal.signal(signal.SIGINT, lambda s, f: self.event.set())

    def wait(self, seconds):
        return self.event.wait(seconds)


def worker():
    cfg = load_config()
    stopping = Stopping()
    log.info("worker started (batch %d, every %.1f s)", cfg["worker_batch"], cfg["worker_interval"])
    last_problem = None
    while not stopping.event.is_set():
        problem = None
        try:
            with db("ledger") as ledger, db("files") as files:
                _, problems = schema_problems(ledger, files)
                problem = "; ".join(problems) or manager_problem(ledger)
                if not problem:
                    with ledger.cursor() as cur:
                        # clock_timestamp(), not now(): now() is when this transaction began (before the
                        # schema checks above), which can precede the created_at of an entry committed
                        # since, and would post it before it was created.
                        cur.execute("UPDATE entries SET posted_at = clock_timestamp() WHERE id IN (SELECT id FROM entries "
                                    "WHERE posted_at IS NULL ORDER BY id LIMIT %s)", (cfg["worker_batch"],))
                        if cur.rowcount:
                            log.info("posted %d entries", cur.rowcount)
        except Exception as e:
            problem = f"database unreachable: {str(e).strip()}"
        if problem != last_problem:
            log.warning("waiting: %s", problem) if problem else log.info("working")
            last_problem = problem
        stopping.wait(cfg["worker_interval"])
    log.info("worker stopped")
    return 0


def manager():
    load_config()
    currency(required=True)
    stopping = Stopping()
    registered = False
    last_problem = None
    while not stopping.event.is_set():
        problem = None
        try:
            with db("ledger") as ledger, db("files") as files:
                versions, problems = schema_problems(ledger, files)
                problem = "; ".join(problems)
                if not problem:
                    with ledger.cursor() as cur:
                        if not registered:
                            cur.execute("INSERT INTO platform_manager (id, release, started_at, heartbeat_at) "
                                        "VALUES (1, %s, now(), now()) ON CONFLICT (id) DO UPDATE SET "
                                        "release = EXCLUDED.release, started_at = now(), heartbeat_at = now()",
                                        (RELEASE,))
                        else:
                            cur.execute("UPDATE platform_manager SET heartbeat_at = now() WHERE id = 1 AND release = %s",
                                        (RELEASE,))
                    if not registered:
                        log.info("manager ready: release %s registered (ledger schema %s, files schema %s)",
                                 RELEASE, versions["ledger"], versions["files"])
                        registered = True
                    with open(MANAGER_READY_FILE, "w") as f:
                        f.write(str(time.time()))
        except Exception as e:
            problem = f"database unreachable: {str(e).strip()}"
        if problem and problem != last_problem:
            log.warning("waiting: %s", problem)
        last_problem = problem
        stopping.wait(2)
    log.info("manager stopped")
    return 0


def probe():
    import urllib.request
    port = int(os.environ.get("LISTEN_PORT", "8080"))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=9) as r:
            return 0 if r.status == 200 else 1
    except Exception:
        return 1


def manager_health():
    try:
        return 0 if time.time() - os.stat(MANAGER_READY_FILE).st_mtime < MANAGER_READY_SECONDS else 1
    except OSError:
        return 1


# ---------------------------------------------------------------------------------------------- ledger-migrate

def shipped_migrations():
    """[(version, description, path)] of the files database, sorted by version."""
    found = []
    for name in os.listdir(MIGRATIONS_DIR):
        m = re.fullmatch(r"(\d+(?:\.\d+)*)__([A-Za-z0-9_]+)\.sql", name)
        if m:
            found.append((m.group(1), m.group(2).replace("_", " "), os.path.join(MIGRATIONS_DIR, name)))
    return sorted(found, key=lambda x: padded(parse_version(x[0])))


def migrate_main(args):
    usage = "usage: ledger-migrate upgrade|status   (database: $FILES_DATABASE_URL)"
    if len(args) != 1 or args[0] not in ("upgrade", "status"):
        print(usage, file=sys.stderr)
        return 2
    migrations = shipped_migrations()
    head = migrations[-1][0] if migrations else None
    try:
        conn = connect("files", timeout=10)
    except ConfigError:
        raise
    except Exception as e:
        print(f"ledger-migrate: cannot connect to the files database: {str(e).strip()}", file=sys.stderr)
        return 1
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(724011)")
        conn.commit()
        current = files_schema(conn)
        conn.rollback()
        if current is not None and padded(parse_version(current)) > padded(parse_version(head or "0")):
            print(f"ledger-migrate: the files database is at version {current}, newer than this release's head {head}",
                  file=sys.stderr)
            return 1
        pending = [m for m in migrations
                   if current is None or padded(parse_version(m[0])) > padded(parse_version(current))]
        if args[0] == "status":
            print(f"current: {current or 'none'}")
            print(f"head: {head or 'none'}")
            print(f"pending: {len(pending)}")
            for version, description, _ in pending:
                print(f"  {version} {description}")
            return 0
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version text NOT NULL, "
                        f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version))")
        conn.commit()
        if not pending:
            print(f"files database is up to date at version {current} (release {RELEASE})")
            return 0
        print(f"files database at version {current or 'none'}; applying {len(pending)} migration(s) up to {head}")
        for version, description, path in pending:
            started = time.monotonic()
            with open(path, encoding="utf-8") as f:
                sql = f.read()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    cur.execute(f"DELETE FROM {VERSION_TABLE}")
                    cur.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (version,))
                conn.commit()
            except Exception as e:
                conn.rollback()
                print(f"FAILED {version} {description}: {str(e).strip()}", file=sys.stderr)
                print(f"files database left at version {files_schema(conn) or 'none'}", file=sys.stderr)
                return 1
            print(f"applied {version} {description} in {time.monotonic() - started:.2f} s")
        print(f"files database now at version {head}")
        return 0
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------- ledger-admin

# (release, revision id, database, SQL): data revisions applied after the migrations of that release.
REVISIONS = [
    ("1.1.0", "backfill-entry-currency", "ledger",
     "UPDATE entries SET currency = %(currency)s WHERE currency IS NULL"),
    ("1.2.0", "fill-file-content-types", "files",
     "UPDATE files SET content_type = 'application/json' WHERE content_type IS NULL"),
]


def admin_main(args):
    usage = "usage: ledger-admin apply-missing-revisions PREVIOUS_VERSION | ledger-admin revisions"
    if args[:1] == ["revisions"] and len(args) == 1:
        with db("ledger") as ledger, ledger.cursor() as cur:
            cur.execute("SELECT revision, release, applied_at, rows_changed FROM admin_revisions ORDER BY applied_at")
            for row in cur.fetchall():
                print(" ".join(str(x) for x in row))
        return 0
    if len(args) != 2 or args[0] != "apply-missing-revisions" or not parse_version(args[1]):
        print(usage, file=sys.stderr)
        return 2
    previous = padded(parse_version(args[1]))
    wanted = [r for r in REVISIONS if previous < padded(parse_version(r[0])) <= padded(REL)]
    params = {"currency": currency(required=False) or "EUR"}
    applied = 0
    with db("ledger") as ledger:
        for release, revision, target, sql in wanted:
            with ledger.cursor() as cur:
                cur.execute("SELECT applied_at FROM admin_revisions WHERE revision = %s", (revision,))
                done = cur.fetchone()
            if done:
                print(f"already applied {revision} ({release}) at {done[0].isoformat()}")
                continue
            if target == "ledger":
                with ledger.cursor() as cur:
                    cur.execute(sql, params)
                    rows = cur.rowcount
            else:
                with db(target) as other, other.cursor() as cur:
                    cur.execute(sql, params)
                    rows = cur.rowcount
            with ledger.cursor() as cur:
                cur.execute("INSERT INTO admin_revisions (revision, release, rows_changed) VALUES (%s, %s, %s)",
                            (revision, release, rows))
            ledger.commit()
            applied += 1
            print(f"applied {revision} ({release}): {rows} row(s)")
    print(f"{applied} revision(s) applied, {len(wanted) - applied} already present "
          f"(from {args[1]} to {RELEASE})")
    return 0


# ---------------------------------------------------------------------------------------------- main

def main(argv):
    tool = os.path.basename(argv[0])
    try:
        if tool == "ledger-migrate":
            return migrate_main(argv[1:])
        if tool == "ledger-admin":
            return admin_main(argv[1:])
        command = argv[1] if len(argv) > 1 else "serve"
        if command == "probe":
            return probe()
        if command == "manager-health":
            return manager_health()
        if command == "migrate":
            return migrate_main(argv[2:])
        if command == "admin":
            return admin_main(argv[2:])
        if command in ("serve", "worker", "manager"):
            setup_logging(command)
            return {"serve": serve, "worker": worker, "manager": manager}[command]()
        print("usage: ledger-app serve|worker|manager|probe|manager-health|migrate ...|admin ...", file=sys.stderr)
        return 2
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
