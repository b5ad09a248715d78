#!/usr/bin/env python3
"""Helpers of deploy/ledger/selftest.sh (standard library + PyYAML only).

  env-get FILE NAME               value of NAME in a .env file (exit 1 when absent)
  env-set FILE NAME VALUE         set NAME (append when absent)
  new-required DESCRIPTOR ENV     add each config.newRequired variable missing from ENV with its default
  http METHOD URL [BODY]          one request; prints "<status> <body>"
  write BASE_URL COUNT PREFIX     COUNT writes (POST /api/items); prints the acknowledged ids, one a line
  check BASE_URL ID...            GET /api/items/<id> for each id: present in ledger, files and the volume?
  lint LEDGER_DIR                 descriptors, release folders and the app image table agree
"""
import glob
import json
import os
import re
import sys
import urllib.error
import urllib.request


def env_read(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.rstrip("\n"))
            if m:
                values[m.group(1)] = m.group(2)
    return values


def env_set(path, name, value):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^\s*{re.escape(name)}=", line):
            lines[i] = f"{name}={value}"
            break
    else:
        lines.append(f"{name}={value}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def http(method, url, body=None, timeout=10):
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def parse_version(text):
    return tuple(int(p) for p in re.findall(r"\d+", text.split("-", 1)[0].lstrip("vV")))


def padded(v):
    return tuple(list(v) + [0] * (4 - len(v)))


def lint(root):
    import yaml
    problems, checked = [], 0
    apps = {}
    with open(os.path.join(root, "images/app/releases.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                apps[parts[0]] = {"ledger": parts[1], "files": parts[2], "shipped": parts[3].split(",")}
    releases = []
    with open(os.path.join(root, "releases/releases.tsv"), encoding="utf-8") as f:
        releases = [line.split()[0] for line in f if line.split() and not line.startswith("#")]
    contents = {}
    for rel in releases:
        folder = os.path.join(root, "releases", rel)
        desc_path = os.path.join(root, "descriptors", rel, "upshift.yaml")
        if os.path.exists(os.path.join(folder, "upshift.yaml")):
            problems.append(f"{rel}: the release folder holds an upshift.yaml (descriptors live outside the tags)")
        if not os.path.exists(desc_path):
            problems.append(f"{rel}: no descriptor {desc_path}")
            continue
        d = yaml.safe_load(open(desc_path, encoding="utf-8"))
        checked += 1
        if d.get("descriptorVersion") != 2 or d["platform"]["version"] != rel:
            problems.append(f"{rel}: descriptorVersion/platform.version wrong in {desc_path}")
        app = apps.get(rel)
        if app is None:
            problems.append(f"{rel}: no app image line in images/app/releases.tsv")
            continue
        dbs = {db["id"]: db for db in d["databases"]}
        if dbs["ledger"]["requiredSchemaVersion"] != app["ledger"] or dbs["files"]["requiredSchemaVersion"] != app["files"]:
            problems.append(f"{rel}: requiredSchemaVersion differs from the app image's requirements {app}")
        flyway = [re.match(r"V([\d.]+)__", os.path.basename(p)).group(1)
                  for p in glob.glob(os.path.join(folder, dbs["ledger"]["migrations"]["location"], "V*.sql"))]
        if max(flyway, key=lambda v: padded(parse_version(v))) != app["ledger"]:
            problems.append(f"{rel}: newest Flyway migration {flyway} is not the required {app['ledger']}")
        if max(app["shipped"], key=lambda v: padded(parse_version(v))) != app["files"]:
            problems.append(f"{rel}: newest shipped files migration is not the required {app['files']}")
        template = env_read(os.path.join(folder, d["compose"]["envTemplate"]))
        for var in d["config"].get("newRequired", []):
            if var["name"] not in template:
                problems.append(f"{rel}: newRequired {var['name']} is not in .env.example")
        compose = yaml.safe_load(open(os.path.join(folder, d["compose"]["file"]), encoding="utf-8"))
        for s in d["services"]:
            if s["name"] not in compose["services"]:
                problems.append(f"{rel}: service {s['name']} not in the compose file")
        for v in d.get("volumes", []):
            if "name" in v and v["name"] not in (compose.get("volumes") or {}):
                problems.append(f"{rel}: volume {v['name']} not in the compose file")
        if "ports" in compose["services"]["db"]:
            problems.append(f"{rel}: the db service publishes a port")
        image = compose["services"]["api"]["image"]
        if not image.endswith(f"/upshift-ledger/app:{rel}"):
            problems.append(f"{rel}: api image {image} is not app:{rel}")
        for path in glob.glob(os.path.join(folder, "migrations/**/*.sql"), recursive=True):
            name = os.path.relpath(path, folder)
            text = open(path, encoding="utf-8").read()
            if contents.setdefault(name, text) != text:
                problems.append(f"{rel}: {name} differs from the same file in an earlier release")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"lint: {checked} descriptors agree with their release folders and app images; "
          f"same-named migrations are identical across releases")
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "env-get":
        values = env_read(args[0])
        if args[1] not in values:
            return 1
        print(values[args[1]])
    elif cmd == "env-set":
        env_set(args[0], args[1], args[2])
    elif cmd == "new-required":
        import yaml
        d = yaml.safe_load(open(args[0], encoding="utf-8"))
        present = env_read(args[1])
        for var in d.get("config", {}).get("newRequired", []):
            if var["name"] not in present:
                env_set(args[1], var["name"], var.get("default", ""))
                print(f"added {var['name']}={var.get('default', '')}")
    elif cmd == "http":
        status, body = http(args[0], args[1], args[2] if len(args) > 2 else None)
        print(status, body)
    elif cmd == "write":
        base, count, prefix = args[0], int(args[1]), args[2]
        for i in range(count):
            status, body = http("POST", base + "/api/items", json.dumps({"name": f"{prefix}-{i}", "quantity": i % 7}))
            if status != 201:
                print(f"write {prefix}-{i}: {status} {body}", file=sys.stderr)
                return 1
            print(json.loads(body)["id"])
    elif cmd == "check":
        base, missing = args[0], []
        for item_id in args[1:]:
            status, body = http("GET", f"{base}/api/items/{item_id}")
            where = json.loads(body) if body.startswith("{") else {}
            lacking = [k for k in ("ledger", "files", "upload") if not where.get(k)]
            if status != 200 or lacking:
                missing.append(f"{item_id} (status {status}, missing in {', '.join(lacking) or '?'})")
        if missing:
            print("missing: " + "; ".join(missing))
            return 1
        print(f"{len(args) - 1} ids present in ledger, files and the uploads volume")
    elif cmd == "lint":
        return lint(args[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
