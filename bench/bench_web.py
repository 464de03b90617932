"""Web app speed: time to the first page, and per-message overhead with 20 simultaneous users.

    python bench/bench_web.py                 # both measurements
    python bench/bench_web.py --skip-startup  # only the 20-user run
    python bench/bench_web.py --users 20 --messages 10
    python bench/bench_web.py --skip-startup --users 50 --postgres          # SQLite, then PostgreSQL
    python bench/bench_web.py --skip-startup --users 50 --postgres --profile --no-burst
    python bench/bench_web.py --cpu-only 20 --messages 8 --postgres   # CPU per message, no queueing

1. ``python app.py`` in a fresh process (empty data dir, free port) until ``GET /`` answers 200:
   the whole cold start (imports, store, first admin, page build, server). Models load lazily, so
   the backend setting does not change this figure.
2. N simulated users in N threads, each starting a call and sending M messages through the page
   handlers and the service layer (accounts, authorization, engine, SQLite store and checkpoints),
   with the scripted fake LLM answering instantly: every message's wall time is overhead. Run twice:
   with a think time before each message (~1 s by default, `--think S`; the p95 target applies
   here) and as a burst with no pause at all (every user's next message the moment the reply is in:
   throughput-bound, reported for capacity planning). Checks: no errors, every turn stored
   (1 opening + 2 per message), then each call is ended and graded.
3. With ``--postgres`` (the URL in ``SPARRING_TEST_DATABASE_URL``) or ``--database-url URL``, step 2
   runs on SQLite and then on that PostgreSQL database (store and LangGraph checkpoints in a fresh
   schema, dropped afterwards), and the PostgreSQL/SQLite ratios of the median and p95 are printed
   (target: median within 1.5x at typing pace). ``--repeat N`` alternates N such pairs and reports
   the median of the ratios: on a shared machine, adjacent runs see the same background load.
4. ``--profile`` also counts, per message, the calls into the store and the checkpointer (with the
   calling function, and the wall time of each call including any wait for a lock or a pooled
   connection) and the SQL round trips they make (statements plus BEGIN/COMMIT/pings).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINES = [
    "Hi Raj, thanks for making time today.",
    "How are you handling order exceptions today?",
    "What does that cost your team each week?",
    "How does that affect your delivery promise?",
    "Who else is involved when you choose a tool like this?",
    "What budget have you set aside for fixing this?",
    "What would a good outcome look like for you this quarter?",
    "It sounds like the spreadsheet is the bottleneck. What have you tried so far?",
    "What happens if nothing changes in the next six months?",
    "Can we meet Tuesday at 10am with your team to walk through it?",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_page_seconds(timeout_s: float = 60.0) -> float:
    """Seconds from launching ``python app.py`` until the first page is served."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {
            **os.environ,
            "SPARRING_DATA_DIR": tmp,
            "SPARRING_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while time.perf_counter() - start < timeout_s:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                        if resp.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    time.sleep(0.05)
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited early:\n{proc.stderr.read() if proc.stderr else ''}")
            raise TimeoutError(f"no page within {timeout_s} s")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


_IN_MESSAGE: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_in_message", default=False)
_LAYER: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_layer", default=None)


class Profile:
    """Counts what one message costs in the store and the checkpointer, while messages are sent.

    Patches (for the duration of :meth:`installed`) the store's methods, the LangGraph savers'
    methods, psycopg's cursors and internal commands (BEGIN, COMMIT, ...) and every new sqlite3
    connection (a trace callback). Only work done inside a message (the thread that sends it, and
    the LangGraph background threads it starts, which copy its context) is counted.
    """

    SAVER = ("get_tuple", "put", "put_writes", "list")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.sql_s: dict[str, float] = defaultdict(float)
        self.statements: dict[str, Counter[str]] = defaultdict(Counter)
        self.round_trips: Counter[str] = Counter()
        self.messages = 0
        self._pipelined = threading.local()
        self.pools: list[str] = []

    @staticmethod
    def _kind(sql: Any) -> str:
        text_ = (sql.decode() if isinstance(sql, bytes) else str(sql)).strip()
        if text_.lower() in ("", "select 1", ";"):
            return "ping"
        return text_.split(None, 1)[0].upper()

    def _note_sql(self, sql: Any, seconds: float = 0.0, *, server: bool = False) -> None:
        if not _IN_MESSAGE.get():
            return
        layer = _LAYER.get() or "other"
        with self._lock:
            self.statements[layer][self._kind(sql)] += 1
            self.sql_s[layer] += seconds
            if server and not getattr(self._pipelined, "depth", 0):
                self.round_trips[layer] += 1

    def _note_pipeline(self) -> None:
        if _IN_MESSAGE.get():
            with self._lock:
                self.round_trips[_LAYER.get() or "other"] += 1

    def _wrap_call(self, owner: type, name: str, prefix: str) -> Callable[[], None]:
        original = getattr(owner, name)
        prof = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _IN_MESSAGE.get() or _LAYER.get() is not None:
                return original(*args, **kwargs)
            frame = sys._getframe(1)
            while frame.f_back is not None and "/simulator/" not in frame.f_code.co_filename:
                frame = frame.f_back
            layer = f"{prefix}.{name} <- {frame.f_code.co_name}"
            token = _LAYER.set(layer)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                _LAYER.reset(token)
                with prof._lock:
                    prof.calls[layer].append(elapsed)

        setattr(owner, name, wrapper)
        return lambda: setattr(owner, name, original)

    @contextmanager
    def installed(self) -> Iterator[Profile]:
        from langgraph.checkpoint.sqlite import SqliteSaver

        from simulator.store.sessions import SessionStore

        undo: list[Callable[[], None]] = []
        store_methods = [n for n, v in vars(SessionStore).items() if callable(v) and not n.startswith("_")]
        undo += [self._wrap_call(SessionStore, n, "store") for n in store_methods]
        savers: list[type] = [SqliteSaver]
        try:
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg import _connection_base

            from simulator.store.checkpoints import _pipelined_saver_class
        except ImportError:
            psycopg = None  # type: ignore[assignment]
        else:
            savers += [PostgresSaver, _pipelined_saver_class()]  # calls from the subclass into its base count once
            undo += self._patch_psycopg(psycopg.Cursor, _connection_base.BaseConnection)
            undo += self._patch_pipeline(psycopg.Connection)
        undo += [self._wrap_call(cls, n, "checkpointer") for cls in savers for n in self.SAVER]
        undo += self._patch_sqlite3()
        try:
            yield self
        finally:
            for restore in reversed(undo):
                restore()

    def _patch_psycopg(self, cursor: Any, connection: Any) -> list[Callable[[], None]]:
        prof = self
        execute, executemany, command = cursor.execute, cursor.executemany, connection._exec_command

        def timed_execute(cur: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return execute(cur, query, *args, **kwargs)
            finally:
                prof._note_sql(query, time.perf_counter() - t0, server=True)

        def timed_executemany(cur: Any, query: Any, params_seq: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return executemany(cur, query, params_seq, *args, **kwargs)
            finally:
                prof._note_sql(query, time.perf_counter() - t0, server=True)

        def counted_command(conn: Any, cmd: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return (yield from command(conn, cmd, *args, **kwargs))
            finally:
                prof._note_sql(cmd if isinstance(cmd, str | bytes) else "command", time.perf_counter() - t0,
                               server=True)

        cursor.execute, cursor.executemany = timed_execute, timed_executemany
        connection._exec_command = counted_command

        def undo() -> None:
            cursor.execute, cursor.executemany = execute, executemany
            connection._exec_command = command

        return [undo]

    def _patch_pipeline(self, connection: Any) -> list[Callable[[], None]]:
        """A pipeline block is one round trip, however many statements it sends."""
        original = connection.pipeline
        prof = self

        @contextmanager
        def pipeline(conn: Any) -> Iterator[Any]:
            local = prof._pipelined
            local.depth = getattr(local, "depth", 0) + 1
            try:
                with original(conn) as pipe:
                    yield pipe
            finally:
                local.depth -= 1
                if not local.depth:
                    prof._note_pipeline()

        connection.pipeline = pipeline
        return [lambda: setattr(connection, "pipeline", original)]

    def _patch_sqlite3(self) -> list[Callable[[], None]]:
        original = sqlite3.connect
        prof = self

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = original(*args, **kwargs)
            conn.set_trace_callback(prof._note_sql)
            return conn

        for module in (sqlite3, sqlite3.dbapi2):
            setattr(module, "connect", connect)  # noqa: B010

        def undo() -> None:
            for module in (sqlite3, sqlite3.dbapi2):
                setattr(module, "connect", original)  # noqa: B010

        return [undo]

    def report(self) -> list[str]:
        n = max(1, self.messages)
        lines = [f"  per message ({self.messages} messages): calls, wall ms per call (median / p95, waits "
                 "for locks and pooled connections included), SQL statements per call"]
        total: Counter[str] = Counter()
        for layer in sorted(set(self.calls) | set(self.statements)):
            durations = self.calls.get(layer, [])
            count = len(durations) or n
            stmts = self.statements.get(layer, Counter())
            total.update(stmts)
            kinds = ", ".join(f"{k} {v / count:.2g}" for k, v in stmts.most_common())
            sql_ms = self.sql_s.get(layer, 0.0) * 1000 / count
            trips = self.round_trips.get(layer, 0)
            lines.append(
                f"    {layer:<52} {len(durations) / n:5.2f}/msg  {_pct(durations, 0.5) * 1000:6.2f} / "
                f"{_pct(durations, 0.95) * 1000:6.2f} ms  [{kinds or '-'}]"
                + (f"  round trips {trips / count:.2g}" if trips else "")
                + (f"  psycopg {sql_ms:.2f} ms" if sql_ms else "")
            )
        lines += [f"    {line}" for line in self.pools]
        lines.append(
            f"    SQL statements per message: {sum(total.values()) / n:.1f} "
            f"({', '.join(f'{k} {v / n:.1f}' for k, v in total.most_common())})"
            + (f"; round trips to PostgreSQL: {sum(self.round_trips.values()) / n:.1f} (a pipeline counts once)"
               if self.round_trips else "")
        )
        return lines


def postgres_cpu_s(database_url: str) -> dict[int, float] | None:
    """CPU seconds used so far by each server process of the connections named like ``database_url``'s
    ``application_name`` (a local server only: read from /proc); None when that is not possible."""
    import psycopg
    from sqlalchemy.engine import make_url

    from simulator.store.db import libpq_conninfo

    name = make_url(database_url).query.get("application_name")
    if not name:
        return None
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()", (name,)
        )]
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def _pool_stats(practice: Any) -> list[str]:
    """The connection pools' own counters after a run: waits for a pooled connection, pool sizes."""
    lines = [f"store engine pool: {practice.store.engine.pool.status()}"]
    graph = getattr(getattr(practice, "runner", None), "graph", None) or getattr(practice, "_graph", None)
    pool: Any = getattr(getattr(graph, "checkpointer", None), "conn", None)
    if hasattr(pool, "get_stats"):
        stats = pool.get_stats()
        keys = ("pool_max", "connections_num", "requests_num", "requests_queued", "requests_wait_ms",
                "connections_lost", "returns_bad")
        lines.append("checkpointer pool: " + ", ".join(f"{k} {stats.get(k, 0)}" for k in keys))
    return lines


@contextmanager
def fresh_postgres_schema(base_url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema (dropped afterwards), named by the schema."""
    from simulator.store.scratch import scratch_schema

    with scratch_schema(base_url, prefix="bench") as url:
        yield url


def simulated_users(
    users: int,
    messages: int,
    think_s: float = 0.0,
    *,
    database_url: str | None = None,
    profile: Profile | None = None,
) -> dict[str, Any]:
    """Per-message overhead through the page handlers and services, ``users`` at once.

    ``think_s``: mean pause of a simulated user before each message (uniform 0.5x-1.5x, seeded);
    0 sends every next message the moment the reply is in (a burst, the worst case).
    ``database_url``: the store and the checkpoints there (PostgreSQL) instead of SQLite files in a
    temporary folder. ``profile``: count what each message costs in the store and checkpointer.
    """
    from simulator.config import Settings
    from simulator.llm.base import ChatRequest
    from simulator.llm.scripted import ScriptedLLM
    from simulator.services.app_services import AppServices
    from simulator.services.passwords import Passwords, fast_hasher
    from simulator.session import PracticeService
    from simulator.web import practice_page as page

    def voice(request: ChatRequest) -> str:
        last = request.messages[-1]["content"]
        return "Well, " + last.rsplit('SAY: "', 1)[1].rstrip('"') if 'SAY: "' in last else "Well."

    hook_factory: Callable[[Settings], Any] | None
    try:
        from grading.service import scorecard_hook as hook_factory
    except ImportError:
        hook_factory = None

    with (
        profile.installed() if profile is not None else contextlib.nullcontext(),
        tempfile.TemporaryDirectory() as tmp,
    ):
        settings = Settings(
            data_dir=Path(tmp), cache_dir=Path(tmp) / "cache", llm="template", database_url=database_url
        )
        hook = hook_factory(settings) if hook_factory is not None else None
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=voice), on_session_end=hook) as practice:
            services = AppServices.build(practice, passwords=Passwords(fast_hasher()))
            accounts = [
                services.accounts.create_user(f"rep{i:02d}", password="bench password 1")[0]
                for i in range(users)
            ]
            latencies: list[float] = []
            errors: list[str] = []
            sessions: dict[str, str] = {}
            lock = threading.Lock()
            barrier = threading.Barrier(users)

            def run(n: int) -> None:
                actor = accounts[n]
                rng = random.Random(n)
                try:
                    update = list(page.start_call(services, actor, "saas-discovery-ops", None, "easy"))[-1]
                    if update.call is None:
                        raise RuntimeError(update.status)
                    barrier.wait()
                    for i in range(messages):
                        if think_s:
                            time.sleep(think_s * rng.uniform(0.5, 1.5))
                        token = _IN_MESSAGE.set(profile is not None)
                        t0 = time.perf_counter()
                        update = list(
                            page.send_message(
                                services, actor, update.call, LINES[i % len(LINES)], update.chat, update.stage
                            )
                        )[-1]
                        elapsed = time.perf_counter() - t0
                        _IN_MESSAGE.reset(token)
                        if update.status.startswith("⚠") or update.message:
                            raise RuntimeError(update.status)
                        with lock:
                            latencies.append(elapsed)
                    with lock:
                        sessions[actor.id] = str((update.call or {})["session_id"])
                except Exception as exc:
                    with lock:
                        errors.append(f"user {n}: {exc!r}")

            threads = [threading.Thread(target=run, args=(n,)) for n in range(users)]
            server_before = postgres_cpu_s(database_url) if database_url else None
            cpu_before = os.times()
            wall = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall
            cpu_after = os.times()
            user_s, sys_s = cpu_after.user - cpu_before.user, cpu_after.system - cpu_before.system
            server_after = postgres_cpu_s(database_url) if database_url else None
            server_cpu = (
                sum(v - server_before.get(pid, 0.0) for pid, v in server_after.items())
                if server_before is not None and server_after is not None
                else None
            )
            if profile is not None:
                profile.messages = len(latencies)
                profile.pools = _pool_stats(practice)
            lost = 0
            for actor in accounts:
                sid = sessions.get(actor.id)
                if sid is None:
                    continue
                stored = practice.store.get_turns(sid)
                lost += max(0, 1 + 2 * messages - len(stored))
            t0 = time.perf_counter()
            graded = 0
            for actor in accounts:
                sid = sessions.get(actor.id)
                if sid and page.end_call(services, actor, {"session_id": sid}, []).ended:
                    graded += practice.store.get_session(sid).scorecard is not None  # type: ignore[union-attr]
            end_s = (time.perf_counter() - t0) / max(1, len(sessions))
    ordered = sorted(latencies)
    p95 = _pct(ordered, 0.95)
    return {
        "backend": "PostgreSQL" if database_url else "SQLite",
        "think_s": think_s,
        "users": users,
        "messages_each": messages,
        "messages": len(latencies),
        "errors": errors,
        "lost_turns": lost,
        "median_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p95_ms": p95 * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "wall_s": wall,
        "cpu_ms": (user_s + sys_s) * 1000 / max(1, len(latencies)),
        "sys_ms": sys_s * 1000 / max(1, len(latencies)),
        "server_cpu_ms": server_cpu * 1000 / max(1, len(latencies)) if server_cpu is not None else None,
        "graded": graded,
        "end_and_grade_ms": end_s * 1000,
    }


def cpu_per_message(sessions: int, messages: int, *, database_url: str | None = None) -> dict[str, Any]:
    """CPU one message costs through ``PracticeService.send``, one message at a time (no queueing).

    ``sessions`` calls of ``messages`` messages each, in one thread, with the scripted fake model,
    after a warm-up (the embedding model loaded, statements prepared). The process's CPU
    (``os.times``: every thread, LangGraph's background writes included) and, on a local PostgreSQL,
    its server processes' CPU, per message. Wall-clock latency is not the point: on a shared machine
    compare two versions by running them at the same time, so that both see the same load.
    """
    from simulator.config import Settings
    from simulator.llm.scripted import ScriptedLLM
    from simulator.session import PracticeService

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), cache_dir=Path(tmp) / "cache", llm="template",
                            database_url=database_url)
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=lambda r: "Well.")) as practice:

            def play(n_sessions: int, n_messages: int) -> int:
                ids = [str(list(practice.start("saas-discovery-ops", difficulty="easy"))[0].get("session_id"))
                       for _ in range(n_sessions)]
                for i in range(n_messages):
                    for sid in ids:
                        list(practice.send(sid, LINES[i % len(LINES)]))
                return n_sessions * n_messages

            play(2, 3)
            server_before = postgres_cpu_s(database_url) if database_url else None
            before = os.times()
            sent = play(sessions, messages)
            after = os.times()
            server_after = postgres_cpu_s(database_url) if database_url else None
    server = (sum(v - server_before.get(pid, 0.0) for pid, v in server_after.items())
              if server_before is not None and server_after is not None else None)
    return {
        "backend": "PostgreSQL" if database_url else "SQLite",
        "messages": sent,
        "cpu_ms": (after.user - before.user + after.system - before.system) * 1000 / sent,
        "server_cpu_ms": server * 1000 / sent if server is not None else None,
    }


def _summary(r: dict[str, Any]) -> str:
    mode = f"think time ~{r['think_s']:g} s" if r["think_s"] else "burst, no think time"
    return (
        f"{r['backend']}: {r['users']} users x {r['messages_each']} messages ({mode}): {r['messages']} sent, "
        f"{len(r['errors'])} errors, {r['lost_turns']} turns lost; "
        f"per message median {r['median_ms']:.1f} ms, "
        f"p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms; wall {r['wall_s']:.1f} s; "
        f"CPU per message {r['cpu_ms']:.1f} ms here ({r['sys_ms']:.1f} in the kernel)"
        + (f" + {r['server_cpu_ms']:.1f} ms in PostgreSQL" if r["server_cpu_ms"] is not None else "")
        + f"; end + grade {r['graded']}/{r['users']} ({r['end_and_grade_ms']:.0f} ms per call)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a user pauses before a message"
    )
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        help="also run the users on this PostgreSQL database (in a fresh schema) and print the ratio to SQLite",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="--database-url from SPARRING_TEST_DATABASE_URL"
    )
    parser.add_argument("--no-burst", action="store_true", help="only the run with think time")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the SQLite/PostgreSQL pair this many times, alternating, and report the median ratio "
        "(adjacent runs see similar load from other processes on a shared machine)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="count store/checkpointer calls and SQL statements per message (slows every message a little)",
    )
    parser.add_argument(
        "--switch-interval", type=float, help="sys.setswitchinterval() for the run (Python's default: 0.005 s)"
    )
    parser.add_argument(
        "--cpu-only", type=int, metavar="SESSIONS",
        help="only the CPU per message: SESSIONS calls of --messages messages, one message at a time "
        "(SQLite, and PostgreSQL with --postgres); see cpu_per_message()",
    )
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    url = args.database_url
    if args.postgres and not url:
        url = os.environ.get("SPARRING_TEST_DATABASE_URL")
        if not url:
            parser.error('--postgres needs SPARRING_TEST_DATABASE_URL (eval "$(.ci/postgres.sh)")')
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.cpu_only:
        for backend_url in (None, url) if url else (None,):
            with fresh_postgres_schema(backend_url) if backend_url else contextlib.nullcontext() as run_url:
                r = cpu_per_message(args.cpu_only, args.messages, database_url=run_url)
            server = f" + {r['server_cpu_ms']:.1f} ms in PostgreSQL" if r["server_cpu_ms"] is not None else ""
            print(f"{r['backend']}: {r['messages']} messages one at a time, CPU per message {r['cpu_ms']:.1f} ms "
                  f"here{server}; load average {os.getloadavg()[0]:.1f}", flush=True)
        return
    ok = True
    if not args.skip_startup:
        runs = [first_page_seconds() for _ in range(args.startup_runs)]
        print(
            f"python app.py -> first page: {', '.join(f'{r:.2f}' for r in runs)} s "
            f"(median {statistics.median(runs):.2f} s; target <= 10 s)"
        )
        ok &= statistics.median(runs) <= 10
    # Warm-up, not counted: the first run of a process loads the embedding model and the content,
    # which would otherwise land on whichever backend runs first and bias the first pair.
    warm = simulated_users(2, 2, 0.0, database_url=None)
    print(f"warm-up (not counted): {warm['messages']} messages, {warm['median_ms']:.0f} ms median", flush=True)
    for think in (args.think,) if args.no_burst else (args.think, 0.0):
        ratios: list[tuple[float, float]] = []
        for repeat in range(args.repeat):
            results: list[dict[str, Any]] = []
            # alternate which backend goes first, so drift over the run does not favour one of them
            order = (None, url) if repeat % 2 == 0 else (url, None)
            for backend_url in order if url else (None,):
                profile = Profile() if args.profile else None
                with fresh_postgres_schema(backend_url) if backend_url else contextlib.nullcontext() as run_url:
                    r = simulated_users(args.users, args.messages, think, database_url=run_url, profile=profile)
                results.append(r)
                print(_summary(r) + f"; load average {os.getloadavg()[0]:.1f}", flush=True)
                for e in r["errors"][:5]:
                    print("  error:", e)
                if profile is not None:
                    print("\n".join(profile.report()), flush=True)
                ok &= not r["errors"] and r["lost_turns"] == 0
                if think:
                    ok &= r["p95_ms"] <= 100
            if len(results) == 2:
                lite, pg = results if order[0] is None else results[::-1]
                ratios.append((pg["median_ms"] / lite["median_ms"], pg["p95_ms"] / lite["p95_ms"]))
                print(f"PostgreSQL / SQLite: median {ratios[-1][0]:.2f}x, p95 {ratios[-1][1]:.2f}x", flush=True)
        if ratios:
            median_ratio = statistics.median(m for m, _ in ratios)
            print(
                f"PostgreSQL / SQLite over {len(ratios)} pair(s): median ratio {median_ratio:.2f}x "
                f"(pairs {', '.join(f'{m:.2f}' for m, _ in ratios)}), "
                f"p95 ratio {statistics.median(p for _, p in ratios):.2f}x"
                + (" (target: median <= 1.5x)" if think else ""),
                flush=True,
            )
            if think:
                ok &= median_ratio <= 1.5
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
