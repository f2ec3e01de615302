#!/usr/bin/env python3
"""Helpers for bench/send.sh: the campaign to send, its start, and the wait for its end.

Standard library only; every request goes to the loopback base URL given on the command line
(the HTTP client is the one of bench/helper.py).

Subcommands (each prints one JSON object on stdout unless noted):
  wait-tcp PORT [--timeout S]            wait until 127.0.0.1:PORT accepts connections
  setup BASE KEY SMTP_PORT N             email account (plaintext SMTP to 127.0.0.1:SMTP_PORT),
                                         a group of N contacts, a one-email campaign over it
  start BASE KEY CAMPAIGN                start the campaign; prints the wall clock time of the
                                         request (plain text, seconds since the epoch)
  wait BASE KEY CAMPAIGN N T0 [--timeout S]
                                         poll the campaign's stats every 50 ms until sent == N
                                         (or nothing is pending any more); messages/s from T0
  smtp-sink-count FILE                   the last `mesg=` counter smtp-sink -c wrote (plain text)
"""

import json
import re
import socket
import sys
import time

from helper import Client, die

CHUNK = 1000
POLL_SECONDS = 0.05
SETTLED = ("sent", "uncertain", "failed", "bounced")


def wait_tcp(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    die(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def setup(base, key, smtp_port, n):
    cl = Client(base, f"Bearer {key}")
    t0 = time.perf_counter()
    account = cl.ok("POST", "/v1/email-accounts", {
        "email": "sender@example.test", "displayName": "Bench Sender",
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "encryption": "none"},
        "dailyLimit": 100000,
    })["data"]
    group = cl.ok("POST", "/v1/groups", {"name": "send bench"})["data"]
    created = 0
    for lo in range(1, n + 1, CHUNK):
        hi = min(n, lo + CHUNK - 1)
        rows = [{"email": f"r{i:06d}@example.test", "firstName": f"R{i}"} for i in range(lo, hi + 1)]
        d = cl.ok("POST", "/v1/contacts/bulk", {"contacts": rows, "groupIds": [group["id"]]})["data"]
        created += d.get("created", 0)
    if created != n:
        die(f"bulk created {created} of {n} contacts")
    campaign = cl.ok("POST", "/v1/campaigns", {
        "name": "Send bench",
        "emailAccountId": account["id"],
        "settings": {
            "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "sendHoursStart": 0, "sendHoursEnd": 24, "timezone": "UTC",
            # the largest hourly cap the API accepts; the account's daily limit is above N
            "maxEmailsPerHour": 10000,
        },
        "workflow": {
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "email_1", "type": "email",
                 "data": {"subject": "Hello {{firstName}}", "body": "<p>Hi {{firstName|there}}</p>"}},
                {"id": "end", "type": "end"},
            ],
            "edges": [{"from": "start", "to": "email_1"}, {"from": "email_1", "to": "end"}],
        },
    })["data"]
    added = cl.ok("POST", f"/v1/campaigns/{campaign['id']}/contacts", {"groupId": group["id"]})["data"]
    if added.get("added") != n:
        die(f"the campaign enrolled {added.get('added')} of {n} contacts: {added}")
    print(json.dumps({"campaignId": campaign["id"], "accountId": account["id"], "groupId": group["id"],
                      "contacts": created, "setupSeconds": round(time.perf_counter() - t0, 3)}))


def start(base, key, campaign):
    cl = Client(base, f"Bearer {key}")
    t0 = time.time()
    cl.ok("POST", f"/v1/campaigns/{campaign}/start", {})
    print(f"{t0:.6f}")


def wait(base, key, campaign, n, t0, timeout):
    cl = Client(base, f"Bearer {key}")
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        stats = cl.ok("GET", f"/v1/campaigns/{campaign}/stats")["data"]
        polls += 1
        now = time.time()
        counts = {k: int(stats.get(k) or 0) for k in SETTLED + ("pending",)}
        done = counts["sent"] >= n or (counts["pending"] == 0 and sum(counts[k] for k in SETTLED) >= n)
        if done or time.monotonic() > deadline:
            secs = now - t0
            out = {**counts, "seconds": round(secs, 3), "polls": polls, "timedOut": not done,
                   "messagesPerSec": round(counts["sent"] / secs, 1) if secs > 0 else 0}
            print(json.dumps(out))
            if not done:
                print(f"send_helper.py: not finished after {timeout} s: {counts}", file=sys.stderr)
                sys.exit(2)
            return
        time.sleep(POLL_SECONDS)


def smtp_sink_count(path):
    # smtp-sink -c rewrites one status line with carriage returns: "sess=1 quit=1 mesg=4\r"
    with open(path, "rb") as f:
        found = re.findall(rb"mesg=(\d+)", f.read())
    print(int(found[-1]) if found else 0)


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    timeout = 600.0
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        args = args[:i] + args[i + 2:]
    if cmd == "wait-tcp":
        wait_tcp(int(args[0]), timeout)
    elif cmd == "setup":
        setup(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "start":
        start(args[0], args[1], args[2])
    elif cmd == "wait":
        wait(args[0], args[1], args[2], int(args[3]), float(args[4]), timeout)
    elif cmd == "smtp-sink-count":
        smtp_sink_count(args[0])
    else:
        die(f"unknown subcommand {cmd}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
