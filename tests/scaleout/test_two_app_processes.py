"""Scale-out: two app processes on one PostgreSQL, users whose requests alternate between them, 0 lost turns.

Everything goes over HTTP, the way the browser talks to the app: the sign-in form, then the Gradio
queue API (``POST /gradio_api/queue/join`` + the ``GET /gradio_api/queue/data?session_hash=`` event
stream) with the sign-in cookie. One *page* is one Gradio ``session_hash``; Gradio keeps a page's
``gr.State`` (here: the call in progress) and its event queue in the memory of the process that served
it, so the events of one page go to one process (docs/scale-out.md: what the proxy must route). A
user signs in on one process and uses the cookie on both. Each call has five pages: started on one
process, continued on the other (from "Your unfinished calls", as after a reload), then open in two
windows, one on each process, that send into the call at the same moment, then reloaded on the
second process and ended there.

Checked: the sign-in cookie made by one process works on the other; every line the app accepted is
in the turns table and in the LangGraph checkpoint exactly once, in the same order, each with the
buyer's reply after it, and nothing it refused is; every ended call has a scorecard; no turn lease is
left held; a page sent to the process that did not serve it is refused without losing or doubling a
line; and after ``kill -9`` of one process its user continues the call on the other.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from scaleout_support import AppProcess, sparring_command
from sqlalchemy import select
from sqlalchemy.engine import make_url

from simulator.config import Settings
from simulator.services.user_admin import add_user, open_admin
from simulator.session import PracticeService
from simulator.store.db import create_db_engine
from simulator.store.schema import users

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"
PUBLIC = "sparring.test"
"""The Host a reverse proxy passes through to every process (its Origin is http://sparring.test)."""
USERS = 6
CALLS_PER_USER = 2
SCENARIO = "saas-discovery-ops"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

OPENING = ["Hi Raj, thanks for taking the call.", "How are you handling order exceptions today?"]
MIDDLE = ["What does that cost your team each week?", "Who else is involved in deciding on a tool like this?"]
RACE = ["What happens when an exception slips through?", "How do you measure the impact of those delays?"]
"""Sent at the same moment by two pages of one call on two processes (both may be accepted, in turn)."""
CLOSING = "What would a good outcome look like for you this quarter?"


# ------------------------------------------------------------------------------------------- client


def fn_of(config: dict[str, Any], elem_id: str | None, trigger: str) -> int:
    """The id of the event ``trigger`` on the component ``elem_id`` (``None``: the page's own ``load``)."""
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    for index, dep in enumerate(config["dependencies"]):
        for target, event in dep.get("targets", []):
            if event == trigger and (elem_id is None or target in ids):
                return int(dep.get("id", index))
    raise AssertionError(f"no {trigger} event on #{elem_id}")


def then_of(config: dict[str, Any], fn: int, inputs: list[int]) -> int:
    """The ``.then`` event with these inputs the browser runs after ``fn`` (the unfinished-calls refresh)."""
    for index, dep in enumerate(config["dependencies"]):
        if (dep.get("trigger_after") == fn and dep["inputs"] == inputs
                and any(t[1] == "then" for t in dep.get("targets", []))):
            return int(dep.get("id", index))
    raise AssertionError(f"no .then after {fn}")


@dataclass
class Fns:
    load: int
    unfinished: int
    start: int
    send: int
    end: int
    continue_: int
    after_continue: int
    after_start: int

    @classmethod
    def of(cls, config: dict[str, Any]) -> Fns:
        def load_with_output(elem_id: str) -> tuple[int, list[int]]:
            """The page-load event whose outputs include the component ``elem_id``."""
            ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
            for i, d in enumerate(config["dependencies"]):
                if any(t[1] == "load" for t in d.get("targets", [])) and ids & set(d.get("outputs", [])):
                    return int(d.get("id", i)), d["inputs"]
            raise AssertionError(f"no load event updates #{elem_id}")

        on_load, _ = load_with_output("whoami")  # the header and the tabs
        on_unfinished, call_state = load_with_output("unfinished-calls")
        start, cont = fn_of(config, "start", "click"), fn_of(config, "continue-call", "click")
        return cls(on_load, on_unfinished, start, fn_of(config, "send", "click"), fn_of(config, "end", "click"),
                   cont, then_of(config, cont, call_state), then_of(config, start, call_state))


def text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


class Rep:
    """One simulated user: one cookie jar (one browser) whose requests go to either process."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.http = httpx.Client(
            headers={"host": PUBLIC, "origin": f"http://{PUBLIC}", "user-agent": "scale-out-test"},
            follow_redirects=False,
            timeout=60,
        )

    def sign_in(self, form_from: AppProcess, post_to: AppProcess) -> str:
        """The sign-in form from one process, posted to the other (the CSRF token is not per process)."""
        csrf = CSRF.search(self.http.get(f"{form_from.url}/login").text)
        assert csrf, "no sign-in form"
        response = self.http.post(f"{post_to.url}/login",
                                  data={"username": self.username, "password": PASSWORD, "csrf": csrf.group(1)})
        assert response.status_code == 303, response.text
        token = self.http.cookies.get("sparring_session")
        assert token, response.headers
        return str(token)

    def page(self, app: AppProcess, fns: Fns) -> Page:
        return Page(self, app, fns)

    def close(self) -> None:
        self.http.close()


class Page:
    """One browser page: one Gradio ``session_hash``, all of whose events go to one process."""

    def __init__(self, rep: Rep, app: AppProcess, fns: Fns, session_hash: str | None = None) -> None:
        self.rep, self.app, self.fns = rep, app, fns
        self.hash = session_hash or uuid.uuid4().hex[:11]
        self.chat: list[dict[str, Any]] = []
        self.stage = ""

    def join(self, fn: int, data: list[Any], app: AppProcess | None = None) -> None:
        body = {"data": data, "fn_index": fn, "trigger_id": None, "session_hash": self.hash, "event_data": None}
        joined = self.rep.http.post(f"{(app or self.app).url}/gradio_api/queue/join", json=body)
        assert joined.status_code == 200, (joined.status_code, joined.text)

    def read(self, app: AppProcess | None = None) -> dict[str, Any]:
        """The event stream of this page until its event completes (or fails): the last message."""
        last: dict[str, Any] = {}
        url = f"{(app or self.app).url}/gradio_api/queue/data?session_hash={self.hash}"
        with self.rep.http.stream("GET", url) as stream:
            assert stream.status_code == 200, stream.status_code
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                last = json.loads(line[5:])
                if last.get("msg") in ("process_completed", "unexpected_error", "close_stream"):
                    break
        return last

    def run(self, fn: int, data: list[Any]) -> list[Any]:
        """Run one event on this page's process; its final outputs."""
        self.join(fn, data)
        done = self.read()
        assert done.get("msg") == "process_completed" and done.get("success"), done
        return list(done["output"]["data"])

    def _take(self, out: list[Any]) -> list[Any]:
        """Keep what the browser keeps from the practice outputs: the chat and the stage."""
        if isinstance(out[0], list):
            self.chat = out[0]
        if isinstance(out[4], str):
            self.stage = out[4]
        return out

    def open(self) -> list[tuple[str, str]]:
        """Load the page (who is signed in, then "Your unfinished calls"): the unfinished calls offered."""
        header = self.run(self.fns.load, [])[0]
        assert f"**{self.rep.username}**" in str(header), header
        box, picker = self.run(self.fns.unfinished, [None])
        return [tuple(c) for c in picker.get("choices", [])] if box.get("visible") else []

    def start(self) -> None:
        out = self._take(self.run(self.fns.start, [SCENARIO, None, "easy"]))
        assert out[3] == "Your turn.", out[3]
        self.run(self.fns.after_start, [None])

    def continue_call(self, session_id: str) -> None:
        out = self._take(self.run(self.fns.continue_, [session_id]))
        assert out[3] == "Your turn.", out[3]
        self.run(self.fns.after_continue, [None])

    def send(self, line: str) -> tuple[str, float]:
        """Send a line: ("accepted" | "refused: <status>", seconds)."""
        t0 = time.perf_counter()
        out = self._take(self.run(self.fns.send, [None, line, self.chat, self.stage]))
        took = time.perf_counter() - t0
        message, status = out[2], str(out[3])
        users_lines = [text_of(m) for m in out[0] if m.get("role") == "user"]
        if message == "":
            assert users_lines and users_lines[-1] == line, (line, users_lines, status)
            assert self.chat[-1]["role"] == "assistant" and text_of(self.chat[-1]) not in ("", "…"), self.chat[-1]
            return "accepted", took
        assert message == line and line not in users_lines, (message, status)
        return f"refused: {status}", took

    def end(self) -> str:
        out = self._take(self.run(self.fns.end, [None, self.chat]))
        assert out[6] == {"visible": True, "__type__": "update"}, out[3]  # the scorecard is shown
        assert str(out[7]).strip(), "empty scorecard headline"
        return str(out[3])


# ------------------------------------------------------------------------------------------- the run


@dataclass
class CallLog:
    """What one rep's browser saw of one call."""

    username: str
    session_id: str = ""
    processes: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    ended: bool = False


@dataclass
class Figures:
    sends: list[float] = field(default_factory=list)
    busy: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, result: str, took: float, log: CallLog, line: str) -> None:
        with self.lock:
            self.sends.append(took)
            if result == "accepted":
                log.accepted.append(line)
            else:
                assert "still answering" in result, result  # the only refusal expected: the turn is busy
                self.busy += 1
                log.refused.append(line)


def tagged(line: str, user: int, call: int) -> str:
    """A line unique to this call (the call is checked line by line)."""
    return f"{line.rstrip('?.')} (rep {user}, call {call}){line[-1]}"


def race(pages: list[Page], lines: list[str], log: CallLog, figures: Figures) -> None:
    """Each page sends its line at the same moment (threads released by one barrier)."""
    barrier = threading.Barrier(len(pages))
    errors: list[BaseException] = []

    def send(page: Page, line: str) -> None:
        try:
            barrier.wait(timeout=30)
            figures.add(*page.send(line), log, line)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=pair) for pair in zip(pages, lines, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not errors, errors


def practise(index: int, rep: Rep, apps: list[AppProcess], fns: Fns, figures: Figures) -> list[CallLog]:
    """Two calls; every page goes to the other process than the page before."""
    first, second = apps[index % 2], apps[(index + 1) % 2]
    token = rep.sign_in(form_from=second, post_to=first)
    assert rep.http.get(f"{second.url}/config").status_code == 200  # the cookie from `first` works on `second`
    assert rep.http.cookies.get("sparring_session") == token
    logs = []
    for call in range(CALLS_PER_USER):
        a, b = (first, second) if call % 2 == 0 else (second, first)
        log = CallLog(rep.username)
        logs.append(log)

        page = rep.page(a, fns)  # page 1 on a: start the call
        assert page.open() == [], "an unfinished call was left from before"
        page.start()
        log.processes.append(a.name)
        for line in OPENING:
            figures.add(*page.send(tagged(line, index, call)), log, tagged(line, index, call))

        page = rep.page(b, fns)  # page 2 (a reload) on b: continue it from the list
        offered = page.open()
        assert len(offered) == 1, offered
        log.session_id = offered[0][1]
        page.continue_call(log.session_id)
        log.processes.append(b.name)
        for line in MIDDLE:
            figures.add(*page.send(tagged(line, index, call)), log, tagged(line, index, call))

        pages = [rep.page(a, fns), rep.page(b, fns)]  # two windows on two processes, one call
        for p in pages:
            assert [sid for _, sid in p.open()] == [log.session_id]
            p.continue_call(log.session_id)
        race(pages, [tagged(line, index, call) for line in RACE], log, figures)
        log.processes += [p.app.name for p in pages]
        page = rep.page(b, fns)  # a reload on b shows both windows' lines
        assert [sid for _, sid in page.open()] == [log.session_id]
        page.continue_call(log.session_id)
        figures.add(*page.send(tagged(CLOSING, index, call)), log, tagged(CLOSING, index, call))
        status = page.end()
        assert status.startswith("**Call ended"), status
        log.ended = True
    return logs


def check_calls(settings: Settings, logs: list[CallLog]) -> dict[str, int]:
    """Every accepted line once in the turns table and the checkpoint, in the same order; scorecards."""
    lost = doubled = refused_stored = 0
    with PracticeService.open(settings) as service:
        for log in logs:
            record = service.store.get_session(log.session_id)
            assert record is not None
            turns = service.store.get_turns(log.session_id)
            checkpoint = service.runner.values(log.session_id)["transcript"]
            assert [(t["index"], t["speaker"], t["text"]) for t in turns] == [
                (t["index"], t["speaker"], t["text"]) for t in checkpoint
            ], log.session_id  # the table and the checkpoint agree, line for line
            stored = [t["text"] for t in turns if t["speaker"] == "rep"]
            counts = Counter(stored)
            lost += sum(1 for line in log.accepted if counts[line] == 0)
            doubled += sum(n - 1 for n in counts.values() if n > 1)
            refused_stored += sum(1 for line in log.refused if counts[line])
            assert Counter(log.accepted) == counts, (log.session_id, log.accepted, stored)
            assert [t["index"] for t in turns] == list(range(len(turns))), "a gap or a repeat in the turn index"
            for i, turn in enumerate(turns):
                if turn["speaker"] == "rep":
                    assert i + 1 < len(turns) and turns[i + 1]["speaker"] == "buyer", "a line without its reply"
            if log.ended:
                assert record.status == "ended" and record.scorecard, (log.session_id, record.status)
                assert record.overall_score is not None
            assert record.turn_holder is None, f"turn lease left held: {record.turn_holder}"
    return {"lost": lost, "doubled": doubled, "refused_stored": refused_stored}


def make_users(pg_url: str, tmp_path: Path) -> list[str]:
    """rep-0 with ``sparring user add`` (the CLI, on the same database), the rest through the same service."""
    names = [f"rep-{i}" for i in range(USERS)] + ["probe"]
    env = {**os.environ, "SPARRING_DATABASE_URL": pg_url, "SPARRING_DATA_DIR": str(tmp_path / "data-cli")}
    cli = subprocess.run([*sparring_command(), "user", "add", names[0], "--team", "East", "--password-stdin"],
                         input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=60, check=False)
    assert cli.returncode == 0, cli.stderr
    settings = Settings(database_url=pg_url, data_dir=tmp_path / "data-admin", llm="template")
    with open_admin(settings) as admin:
        for name in names[1:]:
            add_user(admin, name, team="East", password=PASSWORD)
    return names


def test_users_across_two_app_processes_lose_no_turn(two_apps: list[AppProcess], pg_url: str,
                                                     tmp_path: Path) -> None:
    a, b = two_apps
    t_start = time.perf_counter()
    names = make_users(pg_url, tmp_path)
    settings = Settings(database_url=pg_url, data_dir=tmp_path / "data-check", llm="template")
    engine = create_db_engine(pg_url)
    with engine.connect() as conn:
        admins = sorted(conn.execute(select(users.c.username).where(users.c.role == "admin")).scalars())
    engine.dispose()
    banners = [app.name for app in two_apps if "one-time password" in app.log_tail(100_000)]

    probe = Rep("probe")
    probe.sign_in(form_from=a, post_to=a)
    configs = [probe.http.get(f"{app.url}/config").json() for app in two_apps]
    assert configs[0]["dependencies"] == configs[1]["dependencies"], "the two processes built different UIs"
    fns = Fns.of(configs[0])

    # A page whose event reaches the process that did not serve it. Its call (a gr.State) lives on A,
    # so B says the page has no call (and how to continue it) and keeps the line in the box: refused,
    # not lost, not doubled.
    page = probe.page(a, fns)
    page.open()
    page.start()
    assert page.send("Hi Raj, thanks for taking the call.")[0] == "accepted"
    stray_line = "Is this line sent to the wrong process?"
    out = Page(probe, b, fns, session_hash=page.hash).run(fns.send, [None, stray_line, page.chat, page.stage])
    assert out[3].startswith("No call on this page") and out[2] == stray_line, out[2:4]
    # An event joined on A whose stream is read from B: "session not found", which the Gradio page
    # shows as "Connection lost" and answers by reloading itself (then: Continue call).
    other = probe.page(a, fns)
    other.open()
    other.join(fns.load, [])
    split = other.read(app=b)
    assert split.get("msg") == "unexpected_error" and split.get("session_not_found") is True, split
    assert other.read().get("msg") == "process_completed"  # the event itself ran on A

    # The users: every new page on the other process than the one before.
    figures = Figures()
    reps = [Rep(name) for name in names[:USERS]]
    port = make_url(pg_url).port or 5432
    peak: dict[str, int] = {}
    done = threading.Event()

    def sample_connections() -> None:  # the most database connections each process held at once
        while not done.wait(0.25):
            for app in two_apps:
                peak[app.name] = max(peak.get(app.name, 0), app.pg_connections(port) or 0)

    sampler = threading.Thread(target=sample_connections, daemon=True)
    sampler.start()
    t_users = time.perf_counter()
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        futures = [pool.submit(practise, i, rep, two_apps, fns, figures) for i, rep in enumerate(reps)]
        logs = [log for f in futures for log in f.result(timeout=300)]
    users_s = time.perf_counter() - t_users
    done.set()
    sampler.join()

    # A dies (kill -9) with the probe's call open: the probe's cookie and call carry on on B.
    a.kill()
    probe_log = CallLog("probe", accepted=["Hi Raj, thanks for taking the call."], refused=[stray_line])
    page = probe.page(b, fns)
    offered = page.open()
    assert len(offered) == 1, offered
    probe_log.session_id = offered[0][1]
    page.continue_call(probe_log.session_id)
    line = "How are you handling order exceptions today?"
    assert page.send(line)[0] == "accepted"
    probe_log.accepted.append(line)
    page.end()
    probe_log.ended = True

    result = check_calls(settings, [*logs, probe_log])
    for rep in [*reps, probe]:
        rep.close()
    turns = sum(len(log.accepted) for log in logs)
    figures_line = {
        "users": USERS, "calls": len(logs), "pages": len(logs) * 5, "accepted_turns": turns,
        "refused_busy": figures.busy, **result,
        "send_p50_s": round(statistics.median(figures.sends), 3),
        "send_p95_s": round(statistics.quantiles(figures.sends, n=20)[-1], 3),
        "users_phase_s": round(users_s, 1), "start_s": {app.name: round(app.started_s, 1) for app in two_apps},
        "pg_connections_peak": peak, "test_s": round(time.perf_counter() - t_start, 1),
        "first_admins": admins, "banner_printed_by": banners,
    }
    print("scale-out figures:", json.dumps(figures_line))
    assert result == {"lost": 0, "doubled": 0, "refused_stored": 0}
    assert turns + figures.busy == USERS * CALLS_PER_USER * 7
    assert all(set(log.processes) == {"A", "B"} for log in logs)
