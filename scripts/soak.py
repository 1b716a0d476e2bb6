"""The soak run's load and its record (issue 19; docs/reliability.md): a mixed workload at a steady
rate against a running liuhen, sampled every interval for the server's memory, open files,
latency percentiles (overall and by operation) and errors, written to a CSV and drawn as a PNG.

The run ends with a steady-size phase: no more records or materials are added, the reads, lists,
receipts, logins and analyses go on. Latency that grows in the first phase and holds in the second
follows the data; latency that still grows with the data held follows the uptime (a leak).

Called by scripts/soak, which builds the release binary, starts it on fresh demo data and gives
this script the address, the server's process id and where to write.
"""

import argparse
import csv
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.parse

PASSWORD = "liuhen-demo-2026"

LETTER = {
    "case_number": "（2026）示0101民初12号",
    "stage": "trial",
    "intervener": {
        "name": "张某", "unit": "某区人民政府", "post": "副区长", "unit_type": "government",
        "leading_cadre": True, "relation": "self", "managing_level": "municipal",
    },
    "occurred_at": "2026-03-31 23:30",
    "form": "letter",
    "content": "浸泡测试：来信要求对某某有限公司从轻处理",
    "special_items": [1],
}


class Client:
    """One keep-alive connection, as a browser or the case system holds one."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, method, path, body=None, token=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                # A dropped keep-alive connection is the client's to reopen, not the server's error.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    return 0, b""
        return 0, b""


def login(client, user):
    status, body = client.call("POST", "/api/v1/session", {"username": user, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"soak: login of {user} answered {status}: {body[:200]!r}")
    return json.loads(body)["token"]


def multipart(fields, file_bytes):
    boundary = "liuhen-soak-" + os.urandom(8).hex()
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="letter.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode() + file_bytes + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Recorder:
    """Latencies and errors per operation for the current interval."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.errors = {}
        self.done = 0

    def note(self, op, seconds, ok):
        with self.lock:
            self.latencies.setdefault(op, []).append(seconds)
            self.done += 1
            if not ok:
                self.errors[op] = self.errors.get(op, 0) + 1

    def take(self):
        with self.lock:
            taken = (self.latencies, self.errors, self.done)
            self.latencies, self.errors, self.done = {}, {}, 0
            return taken


OPS = ["create", "read", "list", "receipt", "report", "upload", "login"]
ADDING = ("create", "upload")


def worker(base, rate, stop, steady, recorder, seed):
    rng = random.Random(seed)
    client = Client(base)
    clerk = login(client, "clerk")
    office = login(client, "office")
    records = []
    pdf = b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(64 * 1024))
    # A court's day, sped up: mostly records and reads; the quarterly analysis now and then. Each
    # analysis writes a view row for every entry it shows one by one (查看留痕), so at 8 % of 40
    # requests a second over one quarter it saturated both cores within ten minutes (a first try).
    weights = dict(create=30, read=25, list=15, receipt=6, report=1, upload=6, login=12)
    names, weights = OPS, [weights[op] for op in OPS]
    interval = 1.0 / rate
    next_at = time.monotonic()
    while not stop.is_set():
        next_at += interval
        op = rng.choices(names, weights)[0]
        if steady.is_set() and op in ADDING:
            op = "read"
        if op in ("read", "receipt", "upload") and not records:
            op = "create"
        started = time.monotonic()
        if op == "create":
            # Spread over two years, so that a quarter holds what a quarter would.
            day = time.strftime("%Y-%m-%d", time.gmtime(1735689600 + rng.randrange(695) * 86400))
            body = dict(LETTER, content=f"{LETTER['content']}（第 {rng.randrange(10**9)} 号）", occurred_at=f"{day} 10:00")
            status, answer = client.call("POST", "/api/v1/records", body, clerk)
            ok = status == 201
            if ok:
                records.append(json.loads(answer)["record_id"])
        elif op == "read":
            status, _ = client.call("GET", f"/api/v1/records/{rng.choice(records)}", token=clerk)
            ok = status == 200
        elif op == "list":
            status, _ = client.call("GET", f"/api/v1/records?page={rng.randint(1, 5)}&per_page=20", token=office)
            ok = status == 200
        elif op == "receipt":
            status, _ = client.call("GET", f"/api/v1/records/{rng.choice(records)}/receipt", token=clerk)
            ok = status == 200
        elif op == "report":
            status, _ = client.call("GET", "/api/v1/reports/quarterly?year=2026&quarter=1", token=office)
            ok = status == 200
        elif op == "upload":
            body, kind = multipart([("category", "letter")], pdf[: rng.randint(1024, len(pdf))])
            status, _ = client.call(
                "POST", f"/api/v1/records/{rng.choice(records)}/materials", body, clerk, {"Content-Type": kind}
            )
            ok = status == 201
        else:
            status, answer = client.call("POST", "/api/v1/session", {"username": "clerk", "password": PASSWORD})
            ok = status == 200
            if ok:
                token = json.loads(answer)["token"]
                status, _ = client.call("DELETE", "/api/v1/session", token=token)
                ok = status in (200, 204)
        recorder.note(op, time.monotonic() - started, ok)
        if not ok:
            print(f"soak: {op} answered {status}", flush=True)
        records = records[-500:]
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.monotonic()


def sample_process(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    kb = lambda key: int(status[key].split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    # Anonymous memory is the heap; file-backed pages are SQLite's memory-mapped database, which
    # grow with the file and are the kernel's to drop.
    return kb("RssAnon") / 1024, kb("RssFile") / 1024, fds, int(status["Threads"])


def percentile(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=float, default=40, help="requests per second, all workers together")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=30, help="seconds between samples")
    parser.add_argument("--steady-minutes", type=float, help="the last minutes, with nothing added (a quarter of the run)")
    parser.add_argument("--out", required=True, help="directory for soak.csv")
    args = parser.parse_args()
    if args.steady_minutes is None:
        args.steady_minutes = args.minutes / 4

    stop, steady = threading.Event(), threading.Event()
    recorder = Recorder()
    threads = [
        threading.Thread(target=worker, args=(args.base, args.rate / args.workers, stop, steady, recorder, i), daemon=True)
        for i in range(args.workers)
    ]
    for t in threads:
        t.start()
    started = time.monotonic()
    rows = []
    path = os.path.join(args.out, "soak.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["minute", "anon_mb", "file_mb", "fds", "threads", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms",
             "steady", "created"] + [f"p95_{op}_ms" for op in OPS]
        )
        created = 0
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(args.interval)
            if time.monotonic() - started >= (args.minutes - args.steady_minutes) * 60:
                steady.set()
            latencies, errors, done = recorder.take()
            created += len(latencies.get("create", [])) - errors.get("create", 0)
            every = [s for v in latencies.values() for s in v]
            anon, mapped, fds, nthreads = sample_process(args.pid)
            row = [
                round((time.monotonic() - started) / 60, 2), round(anon, 1), round(mapped, 1), fds, nthreads, done,
                sum(errors.values()),
                round(percentile(every, 0.50) * 1000, 2), round(percentile(every, 0.95) * 1000, 2),
                round(percentile(every, 0.99) * 1000, 2), round(max(every, default=0) * 1000, 2),
                int(steady.is_set()), created,
            ] + [round(percentile(latencies.get(op, []), 0.95) * 1000, 2) for op in OPS]
            out.writerow(row)
            f.flush()
            rows.append(row)
            print("soak: " + " ".join(f"{k}={v}" for k, v in zip(
                ["min", "anon_mb", "file_mb", "fds", "threads", "req", "err", "p50", "p95", "p99", "max", "steady",
                 "created"], row)), flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=35)
    summarise(rows)


def summarise(rows):
    """The verdict: errors, and whether memory and files level off (the last third against the middle)."""
    if len(rows) < 3:
        raise SystemExit("soak: too short to judge")
    third = len(rows) // 3
    middle, last = rows[third: 2 * third], rows[2 * third:]
    mean = lambda rs, i: statistics.fmean(r[i] for r in rs)
    growth = mean(last, 1) / mean(middle, 1) - 1
    errors = sum(r[6] for r in rows)
    requests = sum(r[5] for r in rows)
    print(
        f"soak: {requests} requests, {errors} errors; heap (anonymous RSS) middle third {mean(middle, 1):.1f} MB, "
        f"last third {mean(last, 1):.1f} MB ({growth:+.1%}); mapped database pages at the end {rows[-1][2]:.0f} MB; "
        f"open files {min(r[3] for r in rows)}–{max(r[3] for r in rows)}; threads {max(r[4] for r in rows)} at most; "
        f"p50/p99 middle {mean(middle, 7):.1f}/{mean(middle, 9):.1f} ms, last {mean(last, 7):.1f}/{mean(last, 9):.1f} ms"
    )
    growing, holding = [r for r in rows if not r[11]], [r for r in rows if r[11]]
    if len(holding) >= 4:
        # The steady-size phase: its first half against its second, operation by operation.
        half = len(holding) // 2
        first, second = holding[:half], holding[half:]
        for i, op in enumerate(OPS, start=13):
            print(
                f"soak: {op:8} p95 growing phase {mean(growing[:3], i):7.1f} → {mean(growing[-3:], i):7.1f} ms; "
                f"size held {mean(first, i):7.1f} → {mean(second, i):7.1f} ms"
            )
    if errors:
        raise SystemExit("soak: FAILED: the server answered errors")
    if growth > 0.10 or max(r[3] for r in last) > max(r[3] for r in middle) + 16:
        raise SystemExit("soak: FAILED: memory or open files still growing in the last third")


if __name__ == "__main__":
    main()
