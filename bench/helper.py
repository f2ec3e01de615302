#!/usr/bin/env python3
"""Helpers for bench/run.sh: seeding, CSV import timing and the final report.

Standard library only. Every request goes to a loopback address given on the
command line; every loop is bounded by the contact count.

Subcommands (all print one JSON object on stdout unless noted):
  free-port                         print a free TCP port on 127.0.0.1 (plain text)
  wait-http URL [--timeout S]       poll URL until it answers 2xx (exit 1 on timeout)
  fluenzr-seed BASE KEY N           create 10 groups, seed N contacts with /v1/contacts/bulk
  fluenzr-csv BASE KEY N            time POST /v1/contacts/import of an N-row CSV
  fluenzr-first-id BASE KEY         print the id of one contact (plain text)
  check URL AUTH                    GET URL once; print why it failed (plain text, empty when 2xx)
  pb-auth BASE EMAIL PASSWORD       print a superuser token (plain text)
  pb-setup BASE TOKEN LOGS PUBLIC   enable batch, create the `contacts` collection
                                    (LOGS=0: request log off; PUBLIC=1: open list/view/create rules)
  pb-seed BASE TOKEN N              seed N records through /api/batch (1000 per call)
  pb-first-id BASE TOKEN            print the id of one record (plain text)
  report RESULTS.jsonl OUT.txt      render the final table (stdout and OUT.txt)
"""

import http.client
import json
import math
import socket
import sys
import time
import urllib.parse

GROUPS = 10
CHUNK = 1000
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Linus", "Radia", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Torvalds", "Perlman", "Allen"]
PLANS = ["gold", "silver", "bronze"]


def die(msg):
    print(f"helper.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Client:
    """A keep-alive HTTP/1.1 client bound to one loopback base URL."""

    def __init__(self, base, auth_header, timeout=300):
        u = urllib.parse.urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            die(f"refusing non-loopback base URL {base}")
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.auth = auth_header
        self.conn = None

    def request(self, method, path, body=None, content_type="application/json"):
        headers = {"Accept": "application/json"}
        if self.auth:
            headers["Authorization"] = self.auth
        if body is not None:
            if not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return resp.status, data

    def ok(self, method, path, body=None, content_type="application/json"):
        status, data = self.request(method, path, body, content_type)
        if not 200 <= status < 300:
            die(f"{method} {path} -> HTTP {status}: {str(data)[:500]}")
        return data


def contact_row(i):
    return {
        "email": f"user{i}@example.com",
        "firstName": FIRST[i % len(FIRST)],
        "lastName": LAST[(i // len(FIRST)) % len(LAST)],
        "company": f"Company {i % 500}",
        "customFields": {"plan": PLANS[i % len(PLANS)], "score": i % 100},
    }


def chunk_plan(n):
    """Split n contacts into chunks of up to 1000; consecutive chunks share a group
    (100,000 contacts -> 100 chunks, 10 per group)."""
    chunks = math.ceil(n / CHUNK)
    per_group = max(1, math.ceil(chunks / GROUPS))
    for c in range(chunks):
        lo, hi = c * CHUNK, min(n, (c + 1) * CHUNK)
        yield c, min(c // per_group, GROUPS - 1), lo, hi


def call_stats(calls):
    """Per-call milliseconds: first and last call show whether a call's cost grows with the table."""
    if not calls:
        return {}
    ms = sorted(c * 1000 for c in calls)
    return {"calls": len(calls), "firstCallMs": round(calls[0] * 1000, 1),
            "lastCallMs": round(calls[-1] * 1000, 1), "medianCallMs": round(ms[len(ms) // 2], 1),
            "maxCallMs": round(ms[-1], 1)}


# ---------------------------------------------------------------- fluenzr

def fluenzr_seed(base, key, n):
    cl = Client(base, f"Bearer {key}")
    group_ids = []
    for g in range(GROUPS):
        d = cl.ok("POST", "/v1/groups", {"name": f"Group {g + 1}"})
        group_ids.append(d["data"]["id"])
    # Serialise every body before the clock starts: only the server is timed.
    bodies = []
    for _, g, lo, hi in chunk_plan(n):
        body = {"contacts": [contact_row(i) for i in range(lo, hi)],
                "groupIds": [group_ids[g]], "onDuplicate": "skip"}
        bodies.append((hi - lo, json.dumps(body, separators=(",", ":")).encode()))
    created = skipped = errors = 0
    calls = []
    t0 = time.perf_counter()
    for rows, body in bodies:
        t1 = time.perf_counter()
        d = cl.ok("POST", "/v1/contacts/bulk", body)["data"]
        calls.append(time.perf_counter() - t1)
        created += d.get("created", 0)
        skipped += d.get("skipped", 0)
        errors += len(d.get("errors", []))
    secs = time.perf_counter() - t0
    if created != n:
        print(f"helper.py: warning: bulk created {created} of {n} (skipped {skipped}, errors {errors})",
              file=sys.stderr)
    print(json.dumps({"groupIds": group_ids, "created": created, "skipped": skipped,
                      "errors": errors, "seconds": round(secs, 3),
                      "contactsPerSec": round(created / secs, 1) if secs else 0,
                      **call_stats(calls)}))


def fluenzr_csv(base, key, n):
    cl = Client(base, f"Bearer {key}", timeout=600)
    lines = ["email,firstName,lastName,company,plan"]
    for i in range(n):
        r = contact_row(i)
        lines.append(f"csv{i}@example.com,{r['firstName']},{r['lastName']},{r['company']},"
                     f"{r['customFields']['plan']}")
    body = ("\n".join(lines) + "\n").encode()
    t0 = time.perf_counter()
    status, data = cl.request("POST", "/v1/contacts/import", body, content_type="text/csv")
    secs = time.perf_counter() - t0
    out = {"rows": n, "bytes": len(body), "status": status, "seconds": round(secs, 3)}
    if 200 <= status < 300 and isinstance(data, dict) and isinstance(data.get("data"), dict):
        d = data["data"]
        out.update(created=d.get("created"), updated=d.get("updated"),
                   skipped=d.get("skipped"), errors=len(d.get("errors") or []))
        if d.get("created") != n:
            print(f"helper.py: warning: CSV import created {d.get('created')} of {n}", file=sys.stderr)
    else:
        out["error"] = str(data)[:300]
        print(f"helper.py: CSV import failed: HTTP {status}: {str(data)[:300]}", file=sys.stderr)
    print(json.dumps(out))


def fluenzr_first_id(base, key):
    d = Client(base, f"Bearer {key}").ok("GET", "/v1/contacts?perPage=1")
    if not d.get("data"):
        die("fluenzr list returned no contacts")
    print(d["data"][0]["id"])


# ---------------------------------------------------------------- PocketBase

PB_COLLECTION = {
    "name": "contacts",
    "type": "base",
    # Rules stay null: only the superuser token used by the benchmark may call them,
    # as only an API key may call fluenzr.
    "fields": [
        {"name": "email", "type": "text", "required": True},
        {"name": "firstName", "type": "text"},
        {"name": "lastName", "type": "text"},
        {"name": "company", "type": "text"},
        {"name": "groupId", "type": "text"},
        {"name": "customFields", "type": "json", "maxSize": 0},
        {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
        {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    ],
    "indexes": [
        # case-insensitive uniqueness, as fluenzr's emails are unique per workspace ignoring case
        "CREATE UNIQUE INDEX idx_contacts_email ON contacts (email COLLATE NOCASE)",
        "CREATE INDEX idx_contacts_group ON contacts (groupId)",
        # the list is sorted newest first, as fluenzr's default order is createdAt desc
        "CREATE INDEX idx_contacts_created ON contacts (created)",
    ],
}


def pb_auth(base, email, password):
    cl = Client(base, "")
    d = cl.ok("POST", "/api/collections/_superusers/auth-with-password",
              {"identity": email, "password": password})
    print(d["token"])


def pb_setup(base, token, request_logs, public):
    cl = Client(base, token)
    settings = cl.ok("GET", "/api/settings")
    batch = dict(settings.get("batch") or {})
    batch.update(enabled=True, maxRequests=1000, timeout=60)
    patch = {"batch": batch}
    if not request_logs:
        # maxDays 0 turns off PocketBase's per-request log (written to its auxiliary database)
        logs = dict(settings.get("logs") or {})
        logs["maxDays"] = 0
        patch["logs"] = logs
    cl.ok("PATCH", "/api/settings", patch)
    got = cl.ok("GET", "/api/settings")
    if not got["batch"].get("enabled") or got["batch"].get("maxRequests") != 1000:
        die(f"batch settings not applied: {got['batch']}")
    coll = dict(PB_COLLECTION)
    if public:
        coll.update(listRule="", viewRule="", createRule="")
    cl.ok("POST", "/api/collections", coll)
    print(json.dumps({"batch": got["batch"], "logs": got["logs"], "public": public}))


def pb_row(i, group):
    r = contact_row(i)
    r["groupId"] = group
    return r


def pb_seed(base, token, n):
    cl = Client(base, token)
    groups = [f"grp{g + 1}" for g in range(GROUPS)]
    url = "/api/collections/contacts/records"
    bodies = []
    for _, g, lo, hi in chunk_plan(n):
        body = {"requests": [{"method": "POST", "url": url, "body": pb_row(i, groups[g])}
                             for i in range(lo, hi)]}
        bodies.append((hi - lo, json.dumps(body, separators=(",", ":")).encode()))
    created = 0
    calls = []
    t0 = time.perf_counter()
    for rows, body in bodies:
        t1 = time.perf_counter()
        d = cl.ok("POST", "/api/batch", body)
        calls.append(time.perf_counter() - t1)
        bad = [r for r in d if not 200 <= r.get("status", 0) < 300]
        if bad:
            die(f"batch had {len(bad)} failed rows: {str(bad[:2])[:300]}")
        created += rows
    secs = time.perf_counter() - t0
    print(json.dumps({"groupIds": groups, "created": created, "seconds": round(secs, 3),
                      "contactsPerSec": round(created / secs, 1) if secs else 0,
                      **call_stats(calls)}))


def pb_first_id(base, token):
    d = Client(base, token).ok("GET", "/api/collections/contacts/records?perPage=1&skipTotal=1")
    if not d.get("items"):
        die("PocketBase list returned no records")
    print(d["items"][0]["id"])


# ---------------------------------------------------------------- misc

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def check(url, auth):
    u = urllib.parse.urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    status, data = Client(f"{u.scheme}://{u.netloc}", auth).request("GET", path)
    if not 200 <= status < 300:
        print(f"GET {path} -> HTTP {status}: {str(data)[:300]}")


def wait_http(url, timeout):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        die(f"refusing non-loopback URL {url}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            c.request("GET", u.path or "/")
            if 200 <= c.getresponse().status < 300:
                return
        except OSError:
            pass
        time.sleep(0.2)
    die(f"{url} did not answer within {timeout} s")


# ---------------------------------------------------------------- report

OPS = [("list", "list (with total)"), ("filter", "list group+email~"), ("get", "get by id"),
       ("create", "create one"), ("bulk", "bulk 1000/req")]


def fmt(v, nd=0):
    if v is None:
        return "-"
    if nd == 0 and abs(v) < 100:
        nd = 1
    return f"{v:,.{nd}f}"


def report(results_path, out_path):
    rows = {}
    meta = {}
    with open(results_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("kind") == "wrk":
                rows[(r["server"], r["op"])] = r
            elif r.get("kind") == "note":
                meta.setdefault((None, "notes"), []).append(r["text"])
            else:
                meta[(r.get("server"), r["kind"])] = r

    def wrk(server, op):
        return rows.get((server, op))

    out = []
    w = out.append
    w(f"fluenzr vs PocketBase — {meta.get((None, 'info'), {}).get('when', '')}")
    info = meta.get((None, "info"), {})
    if info:
        w(f"contacts seeded: {info.get('contacts')}; wrk: {info.get('wrk')}")
        w(f"machine: {info.get('machine')}; load average at start: {info.get('loadavg')}")
        if info.get("pocketbase"):
            w(f"PocketBase: {info['pocketbase']}; {info.get('pbconfig', '')}")
    w("")
    hdr = ["operation", "fluenzr req/s", "p50 ms", "p99 ms", "PocketBase req/s", "p50 ms", "p99 ms",
           "ratio"]
    table = [hdr]
    notes = []
    for op, label in OPS:
        a, b = wrk("fluenzr", op), wrk("pocketbase", op)
        ratio = None
        if a and b and b["ok_rps"] > 0:
            ratio = a["ok_rps"] / b["ok_rps"]
        table.append([label,
                      fmt(a and a["ok_rps"]), fmt(a and a["p50_ms"], 2), fmt(a and a["p99_ms"], 2),
                      fmt(b and b["ok_rps"]), fmt(b and b["p50_ms"], 2), fmt(b and b["p99_ms"], 2),
                      "-" if ratio is None else f"{ratio:.2f}x"])
        for srv, r in (("fluenzr", a), ("PocketBase", b)):
            if r and (r["http_errors"] or r["socket_errors"]):
                notes.append(f"  ! {srv} {label}: {r['http_errors']} HTTP error responses (>= 400), "
                             f"{r['socket_errors']} socket errors out of {r['requests']} requests "
                             f"(req/s counts only the others)")
    widths = [max(len(str(row[i])) for row in table) for i in range(len(hdr))]
    for k, row in enumerate(table):
        w(" | ".join(str(c).rjust(widths[i]) if i else str(c).ljust(widths[i]) for i, c in enumerate(row)))
        if k == 0:
            w("-+-".join("-" * x for x in widths))
    w("")
    w("req/s counts responses below 400 only; ratio = fluenzr req/s / PocketBase req/s.")
    out.extend(notes)
    out.extend(f"  ! {t}" for t in meta.get((None, "notes"), []))
    w("")

    fb, pb_b = wrk("fluenzr", "bulk"), wrk("pocketbase", "bulk")
    seed_f, seed_p = meta.get(("fluenzr", "seed")), meta.get(("pocketbase", "seed"))
    csv = meta.get(("fluenzr", "csv"))
    rss_f, rss_p = meta.get(("fluenzr", "rss")), meta.get(("pocketbase", "rss"))

    def kv(label, ours, theirs):
        w(f"{label:<42} fluenzr {ours:>14}   PocketBase {theirs:>14}")

    kv("bulk seed (sequential, contacts/s)", fmt(seed_f and seed_f["contactsPerSec"]),
       fmt(seed_p and seed_p["contactsPerSec"]))
    kv("bulk under wrk (contacts/s = req/s x1000)", fmt(fb and fb["ok_rps"] * 1000),
       fmt(pb_b and pb_b["ok_rps"] * 1000))
    kv("CSV import of {} rows (s)".format(csv["rows"] if csv else "-"),
       (fmt(csv["seconds"], 2) if csv and 200 <= csv.get("status", 0) < 300 else
        (f"HTTP {csv['status']}" if csv else "-")), "n/a")
    kv("peak RSS (VmHWM, MB)", fmt(rss_f and rss_f["mb"], 1), fmt(rss_p and rss_p["mb"], 1))
    for srv, r in (("fluenzr", rss_f), ("PocketBase", rss_p)):
        if r and r.get("steps"):
            w(f"  {srv} peak RSS (MB) after each phase: {r['steps']}")
    w("")

    # ------------------------------------------------------------ targets
    w("targets:")

    def target(label, value, ok):
        mark = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        w(f"  [{mark}] {label:<44} {value}")

    def ratio_of(op):
        a, b = wrk("fluenzr", op), wrk("pocketbase", op)
        if a and b and b["ok_rps"] > 0:
            return a["ok_rps"] / b["ok_rps"]
        return None

    r = ratio_of("get")
    target("get-by-id >= 2x PocketBase", "-" if r is None else f"{r:.2f}x", None if r is None else r >= 2)
    r = ratio_of("create")
    target("create >= 1.3x PocketBase", "-" if r is None else f"{r:.2f}x",
           None if r is None else r >= 1.3)
    a = wrk("fluenzr", "list")
    target("list with total >= 5,000 req/s, p99 < 20 ms",
           f"{fmt(a['ok_rps'])} req/s, p99 {a['p99_ms']:.2f} ms" if a else "-",
           None if not a else (a["ok_rps"] >= 5000 and a["p99_ms"] < 20 and a["http_errors"] == 0))
    target("bulk >= 100,000 contacts/s (seed)",
           f"{fmt(seed_f['contactsPerSec'])} contacts/s" if seed_f else "-",
           None if not seed_f else seed_f["contactsPerSec"] >= 100000)
    ok_csv = csv and 200 <= csv.get("status", 0) < 300 and csv.get("created") == csv.get("rows")
    target(f"CSV import of {csv['rows'] if csv else 100000} rows < 5 s",
           f"{csv['seconds']:.2f} s" if csv else "-",
           None if not csv else bool(ok_csv and csv["seconds"] < 5))
    target("fluenzr peak RSS < 100 MB", f"{rss_f['mb']:.1f} MB" if rss_f else "-",
           None if not rss_f else rss_f["mb"] < 100)

    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    with open(out_path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "free-port":
        free_port()
    elif cmd == "wait-http":
        timeout = float(args[2]) if len(args) > 2 and args[1] == "--timeout" else 30.0
        wait_http(args[0], timeout)
    elif cmd == "fluenzr-seed":
        fluenzr_seed(args[0], args[1], int(args[2]))
    elif cmd == "fluenzr-csv":
        fluenzr_csv(args[0], args[1], int(args[2]))
    elif cmd == "fluenzr-first-id":
        fluenzr_first_id(args[0], args[1])
    elif cmd == "check":
        check(args[0], args[1])
    elif cmd == "pb-auth":
        pb_auth(args[0], args[1], args[2])
    elif cmd == "pb-setup":
        pb_setup(args[0], args[1], args[2] == "1", args[3] == "1")
    elif cmd == "pb-seed":
        pb_seed(args[0], args[1], int(args[2]))
    elif cmd == "pb-first-id":
        pb_first_id(args[0], args[1])
    elif cmd == "report":
        report(args[0], args[1])
    else:
        die(f"unknown subcommand {cmd}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
