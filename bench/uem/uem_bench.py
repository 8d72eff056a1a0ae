#!/usr/bin/env python3
"""UEM benchmarks (issue 6 item 6), against the real `gatehouse serve` on loopback.

  ingest     durable check-in ingestion (evaluation + verdict + outbox row per check-in, group
             commit, acknowledged after COMMIT) with wrk; goal >= 5,000 check-ins/s.
  freshness  posture change -> CA decision under N simulated devices (default 10,000) in one
             process (--role idp,uem; the connector goes through the partner API over loopback);
             goal p99 <= 1 s. Background drift keeps the fleet checking in while we measure.

Usage: bench/uem/uem_bench.py ingest|freshness [--gatehouse build-uem/gatehouse] [...]
"""
import argparse, concurrent.futures, http.client, json, os, random, re, shutil, signal, subprocess
import sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAYROLL = "33333333-0000-4000-8000-000000000001"


class Server:
    def __init__(self, binary, data_dir, args):
        self.data_dir = data_dir
        self.log = open(data_dir + ".log", "w")
        self.out = data_dir + ".stdout"
        self.proc = subprocess.Popen([binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"] + args,
                                     stdout=open(self.out, "w"), stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            text = open(self.out).read()
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)", text)
            if m and "health:" in text:
                self.port = int(m.group(1))
                s = re.search(r"shown once.*\n\s+(\S+)", text)
                self.secret = s.group(1) if s else None
                return
            if self.proc.poll() is not None:
                raise SystemExit("server exited: " + open(data_dir + ".log").read()[-2000:])
            time.sleep(0.05)
        raise SystemExit("server did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


class Client:
    def __init__(self, port, token=None):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, token=None, form=None):
        headers = {}
        tok = token or self.token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        data = None
        if form is not None:
            data, headers["Content-Type"] = form, "application/x-www-form-urlencoded"
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        for attempt in range(3):
            try:
                self.conn.request(method, path, data, headers)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, (json.loads(text) if text and text[:1] in (b"{", b"[") else text)
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        raise RuntimeError("request failed: %s %s" % (method, path))


def admin_token(port, secret):
    status, body = Client(port).call("POST", "/oauth2/v2.0/token",
                                     form="grant_type=client_credentials&client_id=gatehouse-bootstrap&client_secret=" + secret)
    assert status == 200, body
    return body["access_token"]


def jwk():
    # Any valid P-256 public key will do for enrolment; a fixed one keeps the driver dependency-free.
    return {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}


def prepare_uem(admin):
    policy = {"id": "linux-baseline", "displayName": "Linux baseline", "platform": "Linux",
              "rules": [{"name": "firewall", "key": "firewallEnabled", "operator": "equals", "value": True},
                        {"name": "encryption", "key": "storageEncrypted", "operator": "equals", "value": True}]}
    s, b = admin.call("POST", "/uem/v1/compliancePolicies", policy)
    assert s == 201, b
    s, b = admin.call("POST", "/uem/v1/compliancePolicies/linux-baseline/assign",
                      {"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
    assert s == 200, b
    s, b = admin.call("POST", "/uem/v1/enrollmentTokens", {"displayName": "bench"})
    assert s == 201, b
    return b["token"]


def enroll_fleet(port, token, n, directory_id, workers=16, first_checkin=True):
    """Enrols n devices, links each to directory_id(i) and (optionally) checks in once (compliant)."""
    local = threading.local()

    def one(i):
        if not hasattr(local, "c"):
            local.c = Client(port)
        c = local.c
        s, b = c.call("POST", "/uem/v1/enroll", {"enrollmentToken": token, "publicKey": jwk(),
                                                "hostname": "bench-%d" % i, "operatingSystem": "Linux"})
        assert s == 201, b
        dev = {"id": b["deviceId"], "secret": b["deviceSecret"], "dir": directory_id(i), "seq": 0}
        if first_checkin:
            dev["seq"] = 1
            s, b = c.call("POST", "/uem/v1/devices/%s/checkins" % dev["id"],
                          {"sequence": 1, "posture": posture(True)}, token=dev["secret"])
            assert s == 200, b
        s, b = c.call("POST", "/uem/v1/devices/%s/directoryLink" % dev["id"],
                      {"directoryDeviceId": dev["dir"]}, token=dev["secret"])
        assert s == 200, b
        return dev

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(n)))


def posture(firewall):
    return {"operatingSystem": "Linux", "osVersion": "6.1.0", "firewallEnabled": firewall,
            "storageEncrypted": True, "secureBootEnabled": True}


def metric(text, name, labels=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + (labels and "{")) and (not labels or labels in line):
            total += float(line.rsplit(" ", 1)[1])
        elif not labels and line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def ingest(args):
    work = tempfile.mkdtemp(prefix="gatehouse-uem-bench-")
    try:
        server = Server(args.gatehouse, work + "/data",
                        ["--role", "uem", "--rate-limit", "0", "--io-threads", str(args.io_threads)])
        admin = Client(server.port, admin_token(server.port, server.secret))
        token = prepare_uem(admin)
        t0 = time.time()
        devices = enroll_fleet(server.port, token, args.devices, lambda i: "bench-dir-%d" % i, first_checkin=False)
        print("enrolled and linked %d devices in %.1f s" % (len(devices), time.time() - t0))
        lua = work + "/devices.lua"
        with open(lua, "w") as f:
            f.write("return {\n" + ",\n".join('{id="%s",secret="%s"}' % (d["id"], d["secret"]) for d in devices) + "\n}\n")
        env = dict(os.environ, UEM_DEVICES=lua, UEM_THREADS=str(args.threads), UEM_SEQ_BASE="0")
        before = admin.call("GET", "/metrics")[1].decode()
        cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%s" % args.duration, "--latency",
               "-s", os.path.join(ROOT, "bench/uem/checkin.lua"), "http://127.0.0.1:%d" % server.port]
        print("$ " + " ".join(cmd))
        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-g", "-o", args.perf, "-p", str(server.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        print(out)
        after = admin.call("GET", "/metrics")[1].decode()
        accepted = metric(after, "gatehouse_uem_checkins_total", 'result="accepted"') - \
            metric(before, "gatehouse_uem_checkins_total", 'result="accepted"')
        other = sum(metric(after, "gatehouse_uem_checkins_total", 'result="%s"' % r) for r in ("outOfOrder", "invalid", "error", "duplicate"))
        rows = metric(after, "gatehouse_uem_outbox_rows_total")
        groups = metric(after, "gatehouse_uem_commit_group_size_count")
        print("accepted check-ins: %d, refused/failed: %d, outbox rows written: %d, group commits: %d (%.1f writes/commit)"
              % (accepted, other, rows, groups, accepted / max(groups, 1)))
        server.stop()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def write_bundle(path, n):
    shutil.copytree(os.path.join(ROOT, "examples/tenant"), path)
    with open(os.path.join(path, "devices.json")) as f:
        devices = json.load(f)
    devices = devices.get("value", devices) if isinstance(devices, dict) else devices
    for i in range(n):
        devices.append({"id": "0b7e0000-0000-4000-8000-%012d" % i, "deviceId": "fd000000-0000-4000-8000-%012d" % i,
                        "displayName": "bench-%d" % i, "operatingSystem": "Linux", "trustType": "Workplace",
                        "accountEnabled": True})
    with open(os.path.join(path, "devices.json"), "w") as f:
        json.dump(devices, f)


def freshness(args):
    work = tempfile.mkdtemp(prefix="gatehouse-uem-fresh-")
    try:
        write_bundle(work + "/tenant", args.devices)
        subprocess.run([args.gatehouse, "import", "--tenant", work + "/tenant", "--data-dir", work + "/data"], check=True,
                       stdout=subprocess.DEVNULL)
        server = Server(args.gatehouse, work + "/data",
                        ["--rate-limit", "0", "--io-threads", str(args.io_threads), "--uem-sweep-seconds", "3600"])
        admin = Client(server.port, admin_token(server.port, server.secret))
        token = prepare_uem(admin)
        t0 = time.time()
        devices = enroll_fleet(server.port, token, args.devices, lambda i: "fd000000-0000-4000-8000-%012d" % i)
        print("enrolled, checked in and linked %d devices in %.1f s" % (len(devices), time.time() - t0))
        # Wait until the connector has delivered the initial states.
        while True:
            m = admin.call("GET", "/metrics")[1].decode()
            if metric(m, "gatehouse_partner_outbox_backlog") == 0 and metric(m, "gatehouse_partner_delivered_updates_total") >= len(devices):
                break
            time.sleep(0.5)
        print("initial states delivered after %.1f s" % (time.time() - t0))
        state = {d["id"]: True for d in devices}
        locks = {d["id"]: threading.Lock() for d in devices}
        stop = threading.Event()
        measured = set()

        def checkin(c, d, firewall):
            with locks[d["id"]]:
                d["seq"] += 1
                s, b = c.call("POST", "/uem/v1/devices/%s/checkins" % d["id"],
                              {"sequence": d["seq"], "posture": posture(firewall)}, token=d["secret"])
                assert s == 200 and b["accepted"], b
                state[d["id"]] = firewall

        def drift():
            c = Client(server.port)
            rng = random.Random(1)
            period = 1.0 / args.drift_rate if args.drift_rate > 0 else 1
            while not stop.is_set():
                started = time.time()
                d = rng.choice(devices)
                if d["id"] in measured:
                    continue
                # Most check-ins confirm the current state; every 10th changes it.
                firewall = state[d["id"]] if rng.random() < 0.9 else not state[d["id"]]
                checkin(c, d, firewall)
                time.sleep(max(0, period - (time.time() - started)))

        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-g", "-o", args.perf, "-p", str(server.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        drivers = [threading.Thread(target=drift) for _ in range(2)]
        for t in drivers:
            t.start()
        c = Client(server.port)
        rng = random.Random(7)
        latencies = []
        for k in range(args.samples):
            d = rng.choice(devices)
            measured.add(d["id"])
            target = not state[d["id"]]
            signin = {"signInIdentity": {"userId": "alice@contoso.example"},
                      "signInContext": {"includeApplications": [PAYROLL]},
                      "signInConditions": {"devicePlatform": "linux", "clientAppType": "browser", "ipAddress": "203.0.113.10"},
                      "session": {"authenticationMethods": ["password", "softwareOath"], "deviceId": d["dir"]}}
            started = time.time()
            checkin(c, d, target)
            while True:
                s, b = admin.call("POST", "/v1.0/gatehouse/signIns/evaluate", signin)
                assert s == 201, b
                code = b["status"]["errorCode"]
                if (code == 0) == target:
                    break
                if time.time() - started > 30:
                    raise SystemExit("no decision change within 30 s for %s" % d["dir"])
                time.sleep(0.002)
            latencies.append(time.time() - started)
            measured.discard(d["id"])
            time.sleep(rng.uniform(0.02, 0.1))
        stop.set()
        for t in drivers:
            t.join()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        latencies.sort()
        q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
        m = admin.call("GET", "/metrics")[1].decode()
        builds = metric(m, "gatehouse_snapshot_build_seconds_count")
        build_sum = metric(m, "gatehouse_snapshot_build_seconds_sum")
        print("freshness over %d samples, %d devices, drift %.0f check-ins/s: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms"
              % (len(latencies), args.devices, args.drift_rate * 2, q(0.5), q(0.9), q(0.99), latencies[-1] * 1000))
        print("snapshot rebuilds: %d, mean %.0f ms" % (builds, 1000 * build_sum / max(builds, 1)))
        server.stop()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["ingest", "freshness"])
    p.add_argument("--gatehouse", default=os.path.join(ROOT, "build-uem/gatehouse"))
    p.add_argument("--devices", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--duration", default="20s")
    p.add_argument("--io-threads", type=int, default=32)
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--drift-rate", type=float, default=50.0, help="check-ins/s per drift thread (2 threads)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--perf", help="record the server with perf into this file while measuring")
    args = p.parse_args()
    if args.devices is None:
        args.devices = 1000 if args.mode == "ingest" else 10000
    (ingest if args.mode == "ingest" else freshness)(args)


if __name__ == "__main__":
    main()
