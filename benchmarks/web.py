"""Load test of the web application on localhost: concurrent coordinators.

Starts ``hadplanner serve``'s application (uvicorn, one process) on a free port of
127.0.0.1 over a new temporary register, signs ``--clients`` coordinators in, and has
each, for ``--duration`` seconds, open patient pages and now and then admit a new
patient with a 2-cycle plan (the form of the new-patient screen: pathway, planner,
checker, register). Prints throughput, p50/p95/p99 latency and errors per kind of
request, against the targets: p95 under 300 ms for page views, under 1 s for a
patient admitted, no error.

    python benchmarks/web.py [--clients 20] [--duration 60] [--create-share 0.05] [--workers 2]

Only loopback traffic; the number of requests and the time are bounded.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_PAGE_P95_S = 0.300
TARGET_CREATE_P95_S = 1.0
MAX_REQUESTS = 200_000
PASSWORD = "bench-coordinatrice-1"



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db: str, patients: int) -> list[str]:
    """The account and ``patients`` patients (two cycles each, homes around Toulouse)."""
    from hadplanner.models.request import parse_request
    from hadplanner.register.service import add_patient
    from hadplanner.web.accounts import add_user

    add_user("coord", "coordinator", PASSWORD, by="bench", url=db)
    homes = ["31555", "81139", "81004", "31069", "82121", "32013", "81065", "09122"]
    ids = []
    for i in range(patients):
        pid = f"B{i:03d}"
        add_patient(parse_request({
            "patient": {"id": pid, "weight_kg": 60 + i % 30, "height_cm": 165,
                        "home": {"commune": homes[i % len(homes)]}},
            "cycles": [{"number": 1, "start": "2027-04-05T10:00", "regimen": "rr-induction-c1"},
                       {"number": 2, "start": "2027-05-17T10:00", "regimen": "rr-cycle"}]}),
            user="bench", url=db)
        ids.append(pid)
    return ids


def sign_in(base: str) -> tuple[object, str]:
    import httpx

    c = httpx.Client(base_url=base, timeout=30.0)
    r = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    login_cookie = r.cookies.get("hadp_login_csrf")
    r = c.post("/login", data={"name": "coord", "password": PASSWORD, "csrf_token": token},
               headers={"Cookie": f"hadp_login_csrf={login_cookie}"})
    session = r.cookies.get("hadp_session")
    if r.status_code != 303 or not session:
        raise SystemExit(f"sign-in failed: {r.status_code}")
    c.cookies.clear()
    c.headers["Cookie"] = f"hadp_session={session}"  # Secure cookie sent over loopback HTTP
    csrf = c.get("/api/session").json()["csrf_token"]
    return c, csrf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--create-share", type=float, default=0.05,
                    help="share of a client's requests that admit a new patient")
    ap.add_argument("--patients", type=int, default=20, help="patients in the register first")
    ap.add_argument("--workers", type=int, default=2, help="hadplanner serve --workers")
    args = ap.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.duration <= 600:
        raise SystemExit("--clients 1..100, --duration 1..600 s")

    tmp = tempfile.mkdtemp(prefix="hadp-bench-")
    db = str(Path(tmp) / "register.sqlite")
    t0 = time.perf_counter()
    ids = seed(db, args.patients)
    print(f"register: {len(ids)} patients seeded in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), HADPLANNER_LOG_DIR=tmp,
               HADPLANNER_DB=db)
    server = subprocess.Popen([sys.executable, "-m", "hadplanner", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        clients = [sign_in(base) for _ in range(args.clients)]
        time.sleep(3)  # each worker builds the territory's index at start
        for warm, _ in clients[:4]:  # each patient's file drawn (in every worker)
            for pid in ids:
                warm.get(f"/patients/{pid}")  # type: ignore[attr-defined]
        results: dict[str, list[float]] = {"page": [], "create": []}
        errors: dict[str, list[str]] = {"page": [], "create": []}
        lock = threading.Lock()
        counter = [0]
        stop_at = time.monotonic() + args.duration

        def run(n: int, client: object, csrf: str) -> None:
            rnd = random.Random(n)
            made = 0
            while time.monotonic() < stop_at:
                with lock:
                    if counter[0] >= MAX_REQUESTS:
                        return
                    counter[0] += 1
                create = rnd.random() < args.create_share
                t = time.perf_counter()
                try:
                    if create:
                        made += 1
                        r = client.post("/patients/nouveau", data={  # type: ignore[attr-defined]
                            "csrf_token": csrf, "pseudonym": f"N{n:02d}x{made:04d}",
                            "commune": rnd.choice(["Lautrec (81139)", "31555", "Albi (81004)"]),
                            "weight_kg": str(rnd.randint(50, 95)), "height_cm": "172",
                            "access_status": "amm", "change_mode": "had_nurse",
                            "start1": "2027-04-05T10:00", "regimen1": "rr-induction-c1",
                            "start2": "2027-05-17T10:00", "regimen2": "rr-cycle"})
                        ok = r.status_code == 303
                    else:
                        r = client.get(f"/patients/{rnd.choice(ids)}")  # type: ignore[attr-defined]
                        ok = r.status_code == 200 and "Plan des changements" in r.text
                    status = str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, status = False, type(exc).__name__
                dt_s = time.perf_counter() - t
                kind = "create" if create else "page"
                with lock:
                    results[kind].append(dt_s)
                    if not ok:
                        errors[kind].append(status)

        threads = [threading.Thread(target=run, args=(i, c, t)) for i, (c, t) in
                   enumerate(clients)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)

    total = sum(len(v) for v in results.values())
    print(f"{args.workers} server process(es), {args.clients} clients, {wall:.1f} s, "
          f"{total} requests, {total / wall:.1f} requests/s; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    ok_all = True
    for kind, target in (("page", TARGET_PAGE_P95_S), ("create", TARGET_CREATE_P95_S)):
        xs = sorted(results[kind])
        if not xs:
            print(f"{kind:>7}: no request")
            continue
        q = statistics.quantiles(xs, n=100, method="inclusive")
        p50, p95, p99 = q[49], q[94], q[98]
        met = p95 < target and not errors[kind]
        ok_all &= met
        print(f"{kind:>7}: {len(xs)} requests, {len(xs) / wall:.1f}/s, p50 {p50 * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {xs[-1] * 1000:.0f} ms, "
              f"errors {len(errors[kind])} {sorted(set(errors[kind])) if errors[kind] else ''}"
              f"— target p95 < {target * 1000:.0f} ms: {'met' if met else 'MISSED'}")
    print("all targets met" if ok_all else "some targets missed")


if __name__ == "__main__":
    main()
