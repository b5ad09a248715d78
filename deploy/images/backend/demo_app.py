#!/usr/bin/env python3
"""Upshift demo platform: backend API and background worker (one program, one image per release).

Sub-commands (the image's ENTRYPOINT is this file, installed as /usr/local/bin/demo-app):
  serve          HTTP API on $LISTEN_PORT (default 8080)
  worker         background worker: marks new items as processed, batch by batch
  probe          health probe for the API container (exit 0 when GET /health answers 200)
  worker-health  health probe for the worker container (exit 0 when its heartbeat is fresh)

Behaviour that differs between releases is selected by variables baked into each image tag:
  APP_RELEASE           the release this image belongs to (e.g. 1.2.0)
  APP_REQUIRED_SCHEMA   minimum Flyway schema version this release needs (e.g. 4, 3.2)
  APP_FAULT             deliberate fault of a faulty demo release: "", "health" or "smoke"

Runtime configuration (environment, set by docker-compose.yml from .env):
  DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD
  LOG_LEVEL                 DEBUG|INFO|WARNING|ERROR (default INFO)
  API_PAGE_SIZE             required by 1.1.x (default page size of GET /api/items)
  ITEMS_PAGE_SIZE           required from 1.2.0 on (replaces API_PAGE_SIZE)
  WORKER_BATCH_SIZE         rows per worker batch (optional before 2.0.0, required from 2.0.0 on)
  WORKER_INTERVAL_SECONDS   pause between worker batches (default 2)
"""
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RELEASE = os.environ.get("APP_RELEASE", "0.0.0")
REQUIRED_SCHEMA = os.environ.get("APP_REQUIRED_SCHEMA", "1")
FAULT = os.environ.get("APP_FAULT", "").strip()
HEARTBEAT_FILE = os.environ.get("WORKER_HEARTBEAT_FILE", "/tmp/upshift-demo-worker.heartbeat")

log = logging.getLogger("demo")


class ConfigError(Exception):
    pass


def parse_version(text):
    """'1.2.0-fail-smoke' -> (1, 2, 0); Flyway '3.1' -> (3, 1). Non-numeric parts end the version."""
    parts = []
    for piece in re.split(r"[._]", text.split("-", 1)[0]):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def version_at_least(current, required):
    a, b = list(current), list(required)
    width = max(len(a), len(b))
    a += [0] * (width - len(a))
    b += [0] * (width - len(b))
    return a >= b


REL = parse_version(RELEASE)
HAS_CATEGORIES = version_at_least(REL, (1, 1, 0))
DEFAULT_CATEGORY = version_at_least(REL, (1, 2, 0))  # category_id is NOT NULL from schema 4 on
API_V2 = version_at_least(REL, (2, 0, 0))            # items.status replaces processed_at, /api/v2
if version_at_least(REL, (1, 2, 0)):
    PAGE_SIZE_VAR = "ITEMS_PAGE_SIZE"
elif HAS_CATEGORIES:
    PAGE_SIZE_VAR = "API_PAGE_SIZE"
else:
    PAGE_SIZE_VAR = None  # 1.0.x: fixed page size
ITEMS_PATH = "/api/v2/items" if API_V2 else "/api/items"


def env_int(name, default=None, required=False, minimum=1, maximum=100000):
    raw = os.environ.get(name, "").strip()
    if raw == "":
        if required:
            raise ConfigError(f"required variable {name} is not set (see .env.example of release {RELEASE})")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"variable {name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"variable {name} must be between {minimum} and {maximum}, got {value}")
    return value


def load_config(command="serve"):
    cfg = {
        "db": {
            "host": os.environ.get("DATABASE_HOST", "db"),
            "port": env_int("DATABASE_PORT", 5432, maximum=65535),
            "dbname": os.environ.get("DATABASE_NAME", "app"),
            "user": os.environ.get("DATABASE_USER", "app"),
            "password": os.environ.get("DATABASE_PASSWORD", ""),
        },
        "listen_port": env_int("LISTEN_PORT", 8080, maximum=65535),
        "page_size": (env_int(PAGE_SIZE_VAR, 50, required=command == "serve", maximum=1000)
                      if PAGE_SIZE_VAR else 50),
        "worker_batch": env_int("WORKER_BATCH_SIZE", 100, required=API_V2 and command == "worker", maximum=100000),
        "worker_interval": env_int("WORKER_INTERVAL_SECONDS", 2, maximum=3600),
    }
    return cfg


def setup_logging():
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        stream=sys.stdout,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
    logging.getLogger("demo").info("upshift-demo %s (required schema %s%s)", RELEASE, REQUIRED_SCHEMA,
                                   f", fault={FAULT}" if FAULT else "")


# ---------------------------------------------------------------------------------------------- database

def connect(cfg, timeout=3):
    import psycopg2  # imported lazily so `probe` starts fast
    return psycopg2.connect(connect_timeout=timeout, application_name=f"upshift-demo-{RELEASE}", **cfg["db"])


def schema_version(conn):
    """Highest successfully applied Flyway version, or None when Flyway has not run yet."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('flyway_schema_history') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL")
        versions = [row[0] for row in cur.fetchall()]
    if not versions:
        return None
    return max(versions, key=lambda v: list(parse_version(v)))


def schema_problem(conn):
    """None when the schema is recent enough, else a human readable reason."""
    current = schema_version(conn)
    if current is None:
        return None, f"schema not initialised: no successful Flyway migration found (release {RELEASE} needs version {REQUIRED_SCHEMA}; run the migrations)"
    if not version_at_least(parse_version(current), parse_version(REQUIRED_SCHEMA)):
        return current, f"schema version {current} is older than version {REQUIRED_SCHEMA} required by release {RELEASE} (run the migrations)"
    return current, None


def item_columns():
    cols = ["i.id", "i.sku", "i.name", "i.quantity", "i.created_at"]
    cols.append("i.status" if API_V2 else "i.processed_at")
    if HAS_CATEGORIES:
        cols.append("c.code AS category")
    return ", ".join(cols)


def item_from(row, names):
    item = {}
    for name, value in zip(names, row):
        key = {"created_at": "createdAt", "processed_at": "processedAt"}.get(name, name)
        item[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return item


def item_from_clause():
    return "items i LEFT JOIN categories c ON c.id = i.category_id" if HAS_CATEGORIES else "items i"


# ---------------------------------------------------------------------------------------------- HTTP API

class ApiError(Exception):
    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class Handler(BaseHTTPRequestHandler):
    server_version = "upshift-demo"
    sys_version = ""
    cfg = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # access log to stdout; health probes only at DEBUG
        level = logging.DEBUG if self.path == "/health" else logging.INFO
        logging.getLogger("http").log(level, "%s %s", self.address_string(), fmt % args)

    def send_json(self, status, body, headers=None):
        data = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def dispatch(self, method):
        url = urlparse(self.path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query)
        try:
            if method == "GET" and path == "/health":
                return self.health()
            if method == "GET" and path == "/api/version":
                return self.version()
            if API_V2 and (path == "/api/items" or path.startswith("/api/items/")):
                raise ApiError(410, "gone: the v1 items API was removed in 2.0.0", use=ITEMS_PATH)
            if path == ITEMS_PATH:
                if method == "GET":
                    return self.list_items(query)
                if method == "POST":
                    return self.create_item()
                raise ApiError(405, "method not allowed")
            m = re.fullmatch(re.escape(ITEMS_PATH) + r"/(\d+)", path)
            if m and method == "GET":
                return self.get_item(int(m.group(1)))
            raise ApiError(404, "not found")
        except ApiError as e:
            self.send_json(e.status, e.body)
        except Exception as e:  # database down, SQL error, ...
            logging.getLogger("http").exception("request %s %s failed", method, self.path)
            self.send_json(500, {"error": "internal error", "detail": str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- endpoints

    def health(self):
        body = {"status": "DOWN", "release": RELEASE, "requiredSchemaVersion": REQUIRED_SCHEMA, "schemaVersion": None}
        try:
            conn = connect(self.cfg)
        except Exception as e:
            body["reason"] = "database unreachable: " + (str(e).strip().splitlines() or [type(e).__name__])[0]
            return self.send_json(503, body)
        try:
            current, problem = schema_problem(conn)
            body["schemaVersion"] = current
        except Exception as e:
            problem = "cannot read the schema version: " + (str(e).strip().splitlines() or [type(e).__name__])[0]
        finally:
            conn.close()
        if problem is None and FAULT == "health":
            problem = (f"search index never became ready (deliberate fault of release {RELEASE}: "
                       "this backend never reports healthy)")
        if problem:
            body["reason"] = problem
            return self.send_json(503, body)
        body["status"] = "UP"
        return self.send_json(200, body)

    def version(self):
        body = {
            "name": "upshift-demo-backend",
            "release": RELEASE,
            "api": "v2" if API_V2 else "v1",
            "itemsPath": ITEMS_PATH,
            "requiredSchemaVersion": REQUIRED_SCHEMA,
            "schemaVersion": None,
            "config": {"pageSize": self.cfg["page_size"], "pageSizeVariable": PAGE_SIZE_VAR},
        }
        try:
            conn = connect(self.cfg, timeout=2)
            try:
                body["schemaVersion"] = schema_version(conn)
            finally:
                conn.close()
        except Exception:
            pass
        self.send_json(200, body)

    def list_items(self, query):
        def qint(name, default, maximum):
            raw = (query.get(name) or [""])[0]
            if raw == "":
                return default
            if not raw.isdigit() or int(raw) > maximum:
                raise ApiError(400, f"query parameter {name} must be an integer between 0 and {maximum}")
            return int(raw)
        limit = qint("limit", self.cfg["page_size"], 1000)
        offset = qint("offset", 0, 10 ** 9)
        conn = connect(self.cfg)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT {item_columns()} FROM {item_from_clause()} ORDER BY i.id LIMIT %s OFFSET %s",
                            (limit, offset))
                names = [d[0] for d in cur.description]
                items = [item_from(r, names) for r in cur.fetchall()]
                cur.execute("SELECT count(*) FROM items")
                total = cur.fetchone()[0]
        finally:
            conn.close()
        self.send_json(200, {"items": items, "total": total, "limit": limit, "offset": offset})

    def get_item(self, item_id):
        conn = connect(self.cfg)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT {item_columns()} FROM {item_from_clause()} WHERE i.id = %s", (item_id,))
                row = cur.fetchone()
                names = [d[0] for d in cur.description]
        finally:
            conn.close()
        if row is None:
            raise ApiError(404, f"item {item_id} not found")
        self.send_json(200, item_from(row, names))

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 65536:
            raise ApiError(413, "request body too large")
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise ApiError(400, "request body must be JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        return body

    def create_item(self):
        body = self.read_json()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ApiError(400, "field 'name' is required (a string of 1 to 200 characters)")
        sku = body.get("sku") or "AUTO-" + uuid.uuid4().hex[:8].upper()
        if not isinstance(sku, str) or len(sku) > 64:
            raise ApiError(400, "field 'sku' must be a string of at most 64 characters")
        quantity = body.get("quantity", 0)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(400, "field 'quantity' must be a non-negative integer")
        category = body.get("category")
        if category is not None and not HAS_CATEGORIES:
            raise ApiError(400, "field 'category' is not supported by this release")
        if category is None and DEFAULT_CATEGORY:
            category = "general"

        import psycopg2
        conn = connect(self.cfg)
        try:
            with conn, conn.cursor() as cur:
                category_id = None
                if category is not None:
                    cur.execute("SELECT id FROM categories WHERE code = %s", (category,))
                    row = cur.fetchone()
                    if row is None:
                        raise ApiError(400, f"unknown category {category!r}")
                    category_id = row[0]
                cols, vals = ["sku", "name", "quantity"], [sku, name.strip(), quantity]
                if HAS_CATEGORIES:
                    cols.append("category_id")
                    vals.append(category_id)
                if FAULT == "smoke":
                    # Deliberate bug of release 1.1.1-fail-smoke: the code writes a column that no
                    # migration of this release creates, so every write fails with HTTP 500.
                    cols.append("barcode")
                    vals.append(body.get("barcode"))
                placeholders = ", ".join(["%s"] * len(vals))
                try:
                    cur.execute(f"INSERT INTO items ({', '.join(cols)}) VALUES ({placeholders}) RETURNING id", vals)
                except psycopg2.errors.UniqueViolation:
                    raise ApiError(409, f"an item with sku {sku!r} already exists") from None
                new_id = cur.fetchone()[0]
                cur.execute(f"SELECT {item_columns()} FROM {item_from_clause()} WHERE i.id = %s", (new_id,))
                names = [d[0] for d in cur.description]
                item = item_from(cur.fetchone(), names)
        finally:
            conn.close()
        log.info("created item id=%s sku=%s", item["id"], item["sku"])
        self.send_json(201, item, {"Location": f"{ITEMS_PATH}/{item['id']}"})


def serve(cfg):
    Handler.cfg = cfg
    server = ThreadingHTTPServer(("0.0.0.0", cfg["listen_port"]), Handler)
    server.daemon_threads = True

    def stop(signum, _frame):
        log.info("signal %s received, shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on :%s (items API at %s, page size %s)", cfg["listen_port"], ITEMS_PATH, cfg["page_size"])
    server.serve_forever()
    server.server_close()
    log.info("stopped")


# ---------------------------------------------------------------------------------------------- worker

def worker(cfg):
    stopping = threading.Event()

    def stop(signum, _frame):
        log.info("signal %s received, stopping worker", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if API_V2:
        sql = ("UPDATE items SET status = 'processed' WHERE id IN (SELECT id FROM items WHERE status = 'new' "
               "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)")
    else:
        sql = ("UPDATE items SET processed_at = now() WHERE id IN (SELECT id FROM items WHERE processed_at IS NULL "
               "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)")
    log.info("worker started (batch %s every %ss)", cfg["worker_batch"], cfg["worker_interval"])
    conn = None
    last_problem = None
    while not stopping.is_set():
        try:
            if conn is None or conn.closed:
                conn = connect(cfg)
                conn.autocommit = False
            _, problem = schema_problem(conn)
            conn.rollback()
            if problem:
                if problem != last_problem:
                    log.warning("worker waiting: %s", problem)
                last_problem = problem
            else:
                last_problem = None
                with conn.cursor() as cur:
                    cur.execute(sql, (cfg["worker_batch"],))
                    done = cur.rowcount
                conn.commit()
                if done:
                    log.info("processed %s items", done)
                with open(HEARTBEAT_FILE + ".tmp", "w") as f:
                    f.write(str(time.time()))
                os.replace(HEARTBEAT_FILE + ".tmp", HEARTBEAT_FILE)
        except Exception as e:
            msg = (str(e).strip().splitlines() or [type(e).__name__])[0]
            if msg != last_problem:
                log.warning("worker error: %s", msg)
            last_problem = msg
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
            conn = None
        stopping.wait(cfg["worker_interval"])
    if conn is not None:
        conn.close()
    log.info("worker stopped")


# ---------------------------------------------------------------------------------------------- probes

def probe(cfg):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{cfg['listen_port']}/health", timeout=3) as r:
            return 0 if r.status == 200 else 1
    except urllib.error.HTTPError as e:
        print(e.read().decode(errors="replace"))
        return 1
    except Exception as e:
        print(f"probe failed: {e}")
        return 1


def worker_health(cfg):
    try:
        with open(HEARTBEAT_FILE) as f:
            age = time.time() - float(f.read().strip())
    except (OSError, ValueError):
        print("no worker heartbeat yet")
        return 1
    limit = max(15, 3 * cfg["worker_interval"])
    if age > limit:
        print(f"worker heartbeat is {age:.0f}s old (limit {limit}s)")
        return 1
    return 0


def main(argv):
    command = argv[1] if len(argv) > 1 else "serve"
    commands = {"serve": serve, "worker": worker, "probe": probe, "worker-health": worker_health}
    if command not in commands:
        print(f"usage: demo-app [{'|'.join(commands)}]", file=sys.stderr)
        return 2
    if command in ("serve", "worker"):
        setup_logging()
    try:
        cfg = load_config(command)
    except ConfigError as e:
        if command in ("serve", "worker"):
            log.error("configuration error: %s", e)
        else:
            print(f"configuration error: {e}")
        return 3
    return commands[command](cfg) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
