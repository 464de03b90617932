"""Sign-in under load: N people press "Sign in" at the same moment (issue 13, item 8).

Serves the real app (real argon2id parameters, the security middleware, the Gradio UI) from a
temporary data dir on 127.0.0.1, creates N accounts, then N clients each fetch the sign-in form
and post it at once. Prints the latency of the sign-in POST (median, p95, max), the wall time,
and then the latency of N simultaneous signed-in API requests. Target: p95 <= 2 s for N=50 on
2 cores.

    python bench/bench_signin.py [--users 50] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "correct horse battery"


def _passwords() -> Any:
    from simulator.services.passwords import Passwords, fast_hasher

    return Passwords(fast_hasher()) if os.environ.get("BENCH_FAST_HASH") else Passwords()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def one_sign_in(url: str, username: str, start: asyncio.Event) -> tuple[float, int, httpx.AsyncClient]:
    client = httpx.AsyncClient(base_url=url, headers={"origin": url}, timeout=60, follow_redirects=False)
    form = await client.get("/login")
    match = CSRF.search(form.text)
    assert match, form.text[:200]
    await start.wait()
    began = time.perf_counter()
    response = await client.post("/login", data={"username": username, "password": PASSWORD, "csrf": match.group(1)})
    return time.perf_counter() - began, response.status_code, client


async def run(url: str, names: list[str]) -> None:
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_sign_in(url, n, start)) for n in names]
    await asyncio.sleep(1.0)  # every client has its form
    wall = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    wall = time.perf_counter() - wall
    latencies = [r[0] for r in results]
    ok = sum(1 for r in results if r[1] == 303)
    print(f"sign-ins: {len(names)} at once, {ok} succeeded, wall {wall:.2f} s")
    print(f"  latency  median {statistics.median(latencies):.2f} s   p95 {pct(latencies, 0.95):.2f} s   "
          f"max {max(latencies):.2f} s")
    clients = [r[2] for r in results]
    began = time.perf_counter()

    async def api(client: httpx.AsyncClient) -> tuple[float, int]:
        t = time.perf_counter()
        response = await client.get("/config")
        return time.perf_counter() - t, response.status_code

    answers = await asyncio.gather(*(api(c) for c in clients))
    api_lat = [a[0] for a in answers]
    print(f"signed-in API requests: {len(clients)} at once, {sum(1 for a in answers if a[1] == 200)} answered 200, "
          f"wall {time.perf_counter() - began:.2f} s")
    print(f"  latency  median {statistics.median(api_lat):.2f} s   p95 {pct(api_lat, 0.95):.2f} s   "
          f"max {max(api_lat):.2f} s")
    for client in clients:
        await client.aclose()


def serve(port: int, users: int, workers: int | None) -> None:
    """The server side (its own process, as in production: the clients do not share its GIL)."""
    from simulator.config import Settings
    from simulator.llm.scripted import ScriptedLLM
    from simulator.services.app_services import AppServices
    from simulator.services.passwords import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST
    from simulator.session import PracticeService
    from simulator.web.app import build_demo
    from simulator.web.server import build_web_app
    from simulator.web.server import serve as serve_app

    root = Path(tempfile.mkdtemp(prefix="bench-signin-"))
    settings = Settings(data_dir=root / "data", cache_dir=root / "cache", llm="template")
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=lambda _r: "Go on.")) as practice:
        services = AppServices.build(practice, passwords=_passwords())  # the real argon2id parameters
        began = time.perf_counter()
        for n in range(users):
            services.accounts.create_user(f"bench{n:03d}", password=PASSWORD)
        per_hash = (time.perf_counter() - began) / users
        demo = build_demo(services)
        demo.queue(default_concurrency_limit=16)
        web = build_web_app(services, demo, workers=workers)
        print(f"argon2id m={ARGON2_MEMORY_KIB} KiB t={ARGON2_TIME_COST} p={ARGON2_PARALLELISM}; "
              f"one hash {per_hash * 1000:.0f} ms; {web.pool.workers} hashing threads; "
              f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True)
        serve_app(web, "127.0.0.1", port, log_level="error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="hashing threads (default: cores)")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if args.serve:
        serve(args.serve, args.users, args.workers)
        return
    import socket
    import subprocess

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, __file__, "--serve", str(port), "--users", str(args.users)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        asyncio.run(run(url, [f"bench{n:03d}" for n in range(args.users)]))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
