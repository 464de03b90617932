"""Grader speed: metrics throughput, full grading latency of a 20-turn transcript, batch throughput.

    python bench/bench_grading.py                 # metrics, latency with ScriptedLLM, batch of 120 files
    python bench/bench_grading.py --batch-only --batch 200 --jobs 1 2 --rounds 3   # batch `grade` only
    python bench/bench_grading.py --batch 0       # skip the batch
    python bench/bench_grading.py --batch-only --batch 0 --real 300   # real PersuasionForGood chats as files
    python bench/bench_grading.py --profile       # also profile analyse() when it is the bottleneck
    python bench/bench_grading.py --llm embedded  # also the embedded model's judge latency

Targets (issue #4): metrics-only >= 1,000 twenty-turn transcripts/s; full grading with ScriptedLLM
<= 50 ms; embedded judge <= 20 s with the rubric prefix cached. Batch grading (`sparring grade FILE
... --format jsonl`, no LLM judge): >= 300 plain-text transcripts/s on 2 cores. The batch files are
generated, each line different (names, numbers, topics), and every measured run grades new files, so
nothing is served from the embedding cache: each transcript is analysed from its text, as a real file
would be. The batch figures compare "before" (one embedding-model run per buyer line and per rep
message, the grader's old path) with "now" (all texts of a transcript embedded in a few padded runs)
in alternating rounds of the same run, and check that both print the same lines.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grading import GradeOptions, Scorecard, grade_session, parse_transcript, to_records  # noqa: E402
from grading.metrics import compute_numbers, metric_entries  # noqa: E402
from grading.view import build_view  # noqa: E402
from simulator.engine.state import TurnRecord  # noqa: E402
from simulator.llm.base import LLM, ChatRequest  # noqa: E402
from simulator.llm.scripted import ScriptedLLM  # noqa: E402

CALL = """\
Alex: Hi Dana, thanks for making the time today. How's your week going?
Dana: Busy, quarter end. What's this about?
Alex: I'd like to learn how you handle dispatch today. How do you plan routes right now?
Dana: Mostly spreadsheets. Two dispatchers re-key every order into the routing sheet each morning.
Alex: You mentioned they re-key every order. What does that cost you when a mistake slips through?
Dana: Late deliveries, mostly. We lost a big grocery account last year over missed windows.
Alex: That sounds painful. Who else is involved when you decide on changing a process like this?
Dana: Our COO signs off, and IT has to approve any integration.
Alex: Makes sense. What would success look like for you by the end of the year?
Dana: On-time rate above 95 percent and no more re-keying.
Alex: Our import removes that step; a customer cut planning time by 40% in a month. How would that land?
Dana: Honestly it sounds expensive. We don't have budget this year.
Alex: That's a fair concern. What's behind it, the total cost or the timing against this year's budget?
Dana: Timing. Budget resets in January.
Alex: Many teams start with a paid pilot that runs 8 weeks. Does that address the timing concern?
Dana: It might. I'd have to see it.
Alex: To recap: re-keying, late deliveries and a 95 percent target. Shall we book a demo on Tuesday at 10am?
Dana: Tuesday at 10am works. Send the invite.
Alex: Great, thanks Dana. Talk soon.
Dana: Bye.
"""


def twenty_turns() -> list[TurnRecord]:
    """The benchmark transcript: 20 turns, 10 by the rep, without analyses."""
    records = to_records(parse_transcript(CALL, rep="Alex"))
    assert len(records) == 20, len(records)
    return records


def variant(i: int) -> list[TurnRecord]:
    """The benchmark call with other names and numbers (a different prompt after the rubric prefix)."""
    names = ["Priya", "Marco", "Lena", "Tom"]
    text = CALL.replace("Dana", names[i % 4]).replace("95", str(90 + i)).replace("40%", f"{30 + i}%")
    return to_records(parse_transcript(text, rep="Alex"))


def with_analyses(records: list[TurnRecord]) -> list[TurnRecord]:
    """The same records with analyses filled in, as a practice session stores them."""
    view = build_view(records, scenario=None, persona=None, outcome=None)
    return [dict(r, analysis=view.analyses.get(i)) for i, r in enumerate(records)]  # type: ignore[misc]


def rate(fn: Callable[[], object], seconds: float = 1.0, windows: int = 3) -> tuple[float, float]:
    """Calls per second and mean ms per call: the best of ``windows`` runs of about ``seconds``
    (the box is shared; the best window is the least disturbed one)."""
    fn()
    best = 0.0
    for _ in range(windows):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            fn()
            n += 1
        best = max(best, n / (time.perf_counter() - start))
    return best, 1000 / best


def judge_fallback(request: ChatRequest) -> dict[str, Any]:
    """A valid judge reply for any request (no change, citing the first allowed turn)."""
    schema = request.json_schema or {}
    out = {}
    for cid, item in schema.get("properties", {}).items():
        turn = item["properties"]["turn"]["enum"][0]
        out[cid] = {"adjust": 0, "turn": turn, "reason": "no clear evidence either way"}
    return out


def latency(
    llm: LLM | None, records: list[TurnRecord], runs: int, last: list[Scorecard] | None = None
) -> list[float]:
    """Milliseconds per full grade_session call (the last scorecard is appended to ``last``)."""
    times = []
    card = None
    for _ in range(runs):
        start = time.perf_counter()
        card = grade_session(records, scenario=None, persona=None, outcome=None, llm=llm,
                             options=GradeOptions())
        times.append(1000 * (time.perf_counter() - start))
    if last is not None and card is not None:
        last.append(card)
    return times


# --- batch grading ----------------------------------------------------------------------------

_NAMES = ["Dana", "Priya", "Marco", "Lena", "Tom", "Aisha", "Jonas", "Mei", "Carlos", "Ingrid", "Kofi", "Sara"]
_COMPANIES = ["Northwind", "Bluefin Freight", "Cedar Health", "Orbit Retail", "Granite Labs", "Harbor Foods",
              "Maple Logistics", "Copper Bank", "Lantern Media", "Meadow Farms"]
_PROCESSES = ["route planning", "invoice matching", "shift scheduling", "customer onboarding", "stock counts",
              "claims intake", "quality checks", "order entry", "vendor payments", "ticket triage"]
_PAINS = ["re-keying orders", "missed delivery windows", "late invoices", "overtime on weekends",
          "duplicate tickets", "stock-outs", "manual spreadsheets", "slow approvals", "audit findings"]
_TEAMS = ["dispatch", "finance", "operations", "support", "warehouse", "sales ops", "procurement", "IT"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

_REP_OPEN = [
    "Hi {buyer}, thanks for making the time today. How's your week going at {company}?",
    "Good morning {buyer}, I appreciate you joining. How are things with the {team} team?",
    "Hello {buyer}, thanks for taking the call. Is {n} minutes still fine for you?",
]
_REP_ASK = [
    "How do you handle {process} today?",
    "Walk me through how your {team} team manages {process} right now.",
    "What happens when {process} goes wrong, say {n} times a month?",
    "Who else is involved when you decide to change how {process} works?",
    "What would success look like for {company} by {month}?",
    "You mentioned {pain}. What does that cost you each quarter?",
    "How many people on the {team} team touch {process} every day?",
    "What have you tried so far to fix {pain}?",
]
_REP_VALUE = [
    "Our platform removes {pain}; a customer like you cut planning time by {pct}% in {n} weeks. How would that land?",
    "We connect {process} to your existing tools, so the {team} team stops {pain}. Does that match what you need?",
]
_REP_HANDLE = [
    "That's a fair concern. What's behind it, the total cost or the timing against this year's budget?",
    "I understand. Help me understand what {stakeholder} would need to see before {month}.",
]
_REP_RESPOND = [
    "Many teams start with a paid pilot that runs {n} weeks on {process} only. Does that address it?",
    "We can phase it: {process} first for {n} people, then the rest after {month}. Would that work?",
]
_REP_CLOSE = [
    "To recap: {pain} and a {pct} percent target. Shall we book a demo on {day} at {hour}am?",
    "So {pain} is the priority. Can we set up a call with {stakeholder} on {day} at {hour}am?",
]
_REP_BYE = ["Great, thanks {buyer}. Talk soon.", "Perfect, I'll send the invite today. Thanks {buyer}."]
_BUY_OPEN = ["Busy, quarter end at {company}. What's this about?", "Fine, thanks. We have about {n} minutes."]
_BUY_ANSWER = [
    "Mostly spreadsheets. {n} people re-key every order into the sheet each morning.",
    "It's {pain}, honestly. We lost a big account last year over it.",
    "Our {stakeholder} signs off, and IT has to approve any integration.",
    "On-time rate above {pct} percent and no more {pain}.",
    "About {n} hours a week across the {team} team.",
    "We tried a plugin for {process}, but nobody kept it up to date.",
]
_BUY_OBJECT = ["Honestly it sounds expensive. We don't have budget this year.",
               "We're locked into our current vendor until {month}.",
               "I'm not sure {stakeholder} would go for it right now."]
_BUY_SOFTEN = ["Timing, mostly. Budget resets in {month}.", "It might. I'd have to see it first.",
               "Maybe, if it starts small with the {team} team."]
_BUY_AGREE = ["{day} at {hour}am works. Send the invite.", "Sure, {day} works for {stakeholder} too."]
_BUY_BYE = ["Bye.", "Thanks, talk then."]


def generated_call(i: int) -> str:
    """A 20-turn plain-text call (rep 'Alex'), seeded by ``i``. Every line ends with the call's number,
    so no line repeats across calls and nothing comes from the embedding cache (a conservative figure:
    real calls do repeat "Bye." and the like)."""
    rng = random.Random(i)
    slots = {
        "buyer": rng.choice(_NAMES), "company": rng.choice(_COMPANIES), "team": rng.choice(_TEAMS),
        "stakeholder": rng.choice(["our COO", "the CFO", "my director", "procurement", "the board"]),
    }

    def fill(template: str) -> str:
        return template.format(
            **slots, process=rng.choice(_PROCESSES), pain=rng.choice(_PAINS), n=rng.randint(2, 95),
            pct=rng.randint(10, 99), month=rng.choice(["January", "March", "June", "September"]),
            day=rng.choice(_DAYS), hour=rng.randint(8, 11),
        )

    asks = rng.sample(_REP_ASK, 4)
    answers = rng.sample(_BUY_ANSWER, 4)
    rep = [fill(rng.choice(_REP_OPEN)), *(fill(a) for a in asks), fill(rng.choice(_REP_VALUE)),
           fill(rng.choice(_REP_HANDLE)), fill(rng.choice(_REP_RESPOND)), fill(rng.choice(_REP_CLOSE)),
           fill(rng.choice(_REP_BYE))]
    buyer = [fill(rng.choice(_BUY_OPEN)), *(fill(a) for a in answers), fill(rng.choice(_BUY_OBJECT)),
             fill(rng.choice(_BUY_SOFTEN)), fill(rng.choice(_BUY_SOFTEN)), fill(rng.choice(_BUY_AGREE)),
             fill(rng.choice(_BUY_BYE))]
    lines = []
    for r, b in zip(rep, buyer, strict=True):
        lines += [f"Alex: {r} ({i})", f"{slots['buyer']}: {b} ({i})"]
    return "\n".join(lines) + "\n"


def write_calls(folder: Path, start: int, count: int) -> list[str]:
    """Write ``count`` generated calls as .txt files; return their paths."""
    paths = []
    for i in range(start, start + count):
        path = folder / f"call-{i:05d}.txt"
        path.write_text(generated_call(i), encoding="utf-8")
        paths.append(str(path))
    return paths


class EmbedTimer:
    """Times the embedding model's runs (``Embedder._compute``: every cache miss) without changing them."""

    def __init__(self) -> None:
        from simulator.understanding.embedding import shared_embedder

        self.embedder = shared_embedder()
        self.real = self.embedder._compute
        self.cpu = 0.0
        """CPU seconds of this process in the model's runs (one thread: grading in this process only)."""
        self.texts = 0
        self.tokens = 0
        self.runs = 0

    def __enter__(self) -> EmbedTimer:
        runs = self.embedder.runs

        def timed(texts: list[str]) -> Any:
            start = time.process_time()
            out = self.real(texts)
            self.cpu += time.process_time() - start
            self.texts += len(texts)
            self.tokens += sum(len(self.embedder._ids(t or " ")) for t in texts)
            return out

        self._runs_before = runs
        self.embedder._compute = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del self.embedder._compute
        self.runs = self.embedder.runs - self._runs_before


def _cpu_seconds() -> float:
    """CPU seconds used by this process and its finished children (the batch's worker processes)."""
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _no_prefetch() -> None:
    """The grader as it was before batching: each reader embeds its own texts (one model run per buyer
    line and per rep message; the same vectors, so the same grades)."""
    import grading.grader

    grading.grader._prefetch_embeddings = lambda transcript: None


def _baseline_worker(rep: str, settings: Any) -> None:
    from grading.cli import _init_worker

    _no_prefetch()
    _init_worker(rep, None, settings)


def _run(files: list[str], settings: Any, jobs: int, baseline: bool) -> list[dict[str, Any]]:
    """Grade ``files`` as `sparring grade --format jsonl` does; ``baseline``: without batched embeddings."""
    import grading.grader
    from grading.cli import _grade_in_worker, run_batch

    if not baseline:
        return list(run_batch(files, rep="Alex", settings=settings, jobs=jobs))
    if jobs <= 1:
        real = grading.grader._prefetch_embeddings
        _no_prefetch()
        try:
            return list(run_batch(files, rep="Alex", settings=settings, jobs=1))
        finally:
            grading.grader._prefetch_embeddings = real
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_baseline_worker,
                             initargs=("Alex", settings)) as pool:
        return list(pool.map(_grade_in_worker, files, chunksize=4))


def batch(count: int, jobs_list: list[int], rounds: int = 2) -> None:
    """Throughput of `grade FILE ... --format jsonl` (rules only, no LLM judge) over ``count`` generated
    files, before (one model run per text) and now (batched), alternating in the same run; every
    measured run grades files never seen before in this process, so no vector comes from the cache."""
    from grading.cli import default_jobs, run_batch, usable_cores
    from grading.sources import read_file
    from simulator.config import load_settings
    from simulator.understanding.embedding import shared_embedder

    settings = load_settings(llm="template")
    cores = usable_cores()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    auto = default_jobs(count)
    print(f"\nbatch grading, {count} generated 20-turn plain-text files per run, rules only, no judge "
          f"({cores} cores, load average {load:.1f}; understanding: "
          f"{os.environ.get('SPARRING_UNDERSTANDING', 'models')}; --jobs auto = {auto} for {count} files)")
    variants: list[tuple[str, bool, int]] = []
    for jobs in jobs_list:
        variants.append((f"before, jobs={jobs}", True, jobs))
        variants.append((f"now,    jobs={jobs}", False, jobs))
    with tempfile.TemporaryDirectory(prefix="sparring-bench-") as tmp:
        folder = Path(tmp)
        seed = 0

        def fresh(n: int) -> list[str]:
            nonlocal seed
            out = write_calls(folder, seed, n)
            seed += n
            return out

        start = time.perf_counter()
        list(run_batch(fresh(3), rep="Alex", settings=settings))  # library, rubric, models: loaded once
        print(f"  one-time setup (library, rubric, models; 3 files): {time.perf_counter() - start:.2f} s")
        files = fresh(count)
        share = repeated_share([Path(f).read_text(encoding="utf-8") for f in files])
        print(f"  lines that repeat an earlier line of the batch: {100 * share:.1f}% (every line ends with its call's "
              f"number; real chats repeat ~3%: --real)")
        start = time.perf_counter()
        for f in files:
            parse_transcript(read_file(Path(f)), rep="Alex")
        own = (time.perf_counter() - start) / count
        print(f"  read + decode + parse only: {1000 * own:.2f} ms per file ({1 / own:,.0f} files/s)")

        rates: dict[str, list[float]] = {name: [] for name, _, _ in variants}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in variants}
        outputs: dict[str, list[dict[str, Any]]] = {}
        for r in range(rounds):
            for name, baseline, jobs in variants:
                files = fresh(count)
                cpu = _cpu_seconds()
                start = time.perf_counter()
                out = _run(files, settings, jobs, baseline)
                elapsed = time.perf_counter() - start
                cpu = _cpu_seconds() - cpu
                failed = sum("error" in o for o in out)
                rates[name].append(count / elapsed)
                cpus[name].append(1000 * cpu / count)
                print(f"  round {r + 1} {name}: {count / elapsed:6.1f} transcripts/s ({1000 * elapsed / count:.0f} ms "
                      f"each, CPU {1000 * cpu / count:.0f} ms each{', worker start-up included' if jobs > 1 else ''}"
                      f"{f', {failed} FAILED' if failed else ''})", flush=True)
            # the same files graded both ways must print the same lines
            check = fresh(6)
            outputs["before"] = _run(check, settings, 1, True)
            shared_embedder()._cache.clear()
            outputs["now"] = _run(check, settings, 1, False)
            assert outputs["before"] == outputs["now"], "batched embeddings changed a grade"
        print("  (median of the rounds; ratio = now / before in the same round)")
        for jobs in jobs_list:
            b, n = f"before, jobs={jobs}", f"now,    jobs={jobs}"
            ratios = [x / y for x, y in zip(rates[n], rates[b], strict=True)]
            best = statistics.median(rates[n])
            each = ", ".join(f"x{x:.2f}" for x in ratios)
            verdict = "met" if best >= 300 else "NOT met"
            before = f"{statistics.median(rates[b]):.1f}/s (CPU {statistics.median(cpus[b]):.0f} ms)"
            now = f"{best:.1f}/s (CPU {statistics.median(cpus[n]):.0f} ms)"
            print(f"  jobs={jobs}: before {before}, now {now}: x{statistics.median(ratios):.2f} "
                  f"(rounds {each}) [target >= 300/s: {verdict}]")
        first = statistics.median(rates[f"before, jobs={jobs_list[0]}"])
        top = max(statistics.median(rates[name]) for name, baseline, _ in variants if not baseline)
        print(f"  best now vs before with jobs={jobs_list[0]}: x{top / first:.2f}")

        with EmbedTimer() as timer:
            files = fresh(count)
            cpu = _cpu_seconds()
            list(run_batch(files, rep="Alex", settings=settings, jobs=1))
            cpu = _cpu_seconds() - cpu
        model, per = timer.cpu / count, 1000 / count
        print(f"  where the CPU goes (now, jobs=1, {count} new files): {per * cpu:.0f} ms per transcript; the "
              f"embedding model {per * timer.cpu:.0f} ms ({100 * timer.cpu / cpu:.0f}%: "
              f"{timer.texts / count:.1f} texts, {timer.tokens / count:.0f} tokens, {timer.runs / count:.1f} runs "
              f"per transcript); the rest {per * (cpu - timer.cpu):.0f} ms")
        print(f"  floor with this model: its runs alone take {1000 * model:.0f} ms CPU per transcript "
              f"({1000 * timer.cpu / max(1, timer.tokens):.2f} ms per token), so at most {cores / model:.0f} "
              f"transcripts/s on {cores} idle cores even if everything else were free")

        os.environ["SPARRING_UNDERSTANDING"] = "rules"
        try:
            files = fresh(count)
            cpu = _cpu_seconds()
            start = time.perf_counter()
            list(run_batch(files, rep="Alex", settings=settings, jobs=1))
            elapsed = time.perf_counter() - start
            cpu = _cpu_seconds() - cpu
        finally:
            del os.environ["SPARRING_UNDERSTANDING"]
        print(f"  reference, SPARRING_UNDERSTANDING=rules (no learned models, no embeddings), jobs=1: "
              f"{count / elapsed:.1f} transcripts/s ({1000 * elapsed / count:.1f} ms each, CPU {per * cpu:.0f} ms)")
        same = [files[0]] * min(count, 50)
        cpu = _cpu_seconds()
        start = time.perf_counter()
        list(run_batch(same, rep="Alex", settings=settings))
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
        print(f"  reference, one file {len(same)} times (embeddings cached after the first): "
              f"{len(same) / elapsed:,.1f} transcripts/s ({1000 * elapsed / len(same):.1f} ms each, "
              f"CPU {1000 * cpu / len(same):.0f} ms)")


def repeated_share(transcripts: list[str]) -> float:
    """The share of lines (normalised, speaker label dropped) that an earlier line of the batch already said:
    the most an embedding cache can save on it."""
    from simulator.understanding.text import normalise

    seen: set[str] = set()
    lines = repeats = 0
    for text in transcripts:
        for line in text.splitlines():
            said = normalise(line.split(":", 1)[-1])
            if not said:
                continue
            lines += 1
            repeats += said in seen
            seen.add(said)
    return repeats / max(1, lines)


def real_batch(count: int, jobs_list: list[int], rounds: int = 2) -> None:
    """Throughput of `grade FILE ... --format jsonl` on real dialogues: PersuasionForGood chats
    (``../shared/data/persuasionforgood-300``, Apache-2.0) written as plain-text files, the persuader as
    the rep. Real lines repeat as real lines do ("Hello.", "Yes I do"); each measured run is a fresh
    process pool or, for jobs=1, a fresh embedding cache, so only repeats inside one run are cached."""
    from bench.real_outcomes import REP, data_folder, load_dialogues
    from grading.cli import run_batch, usable_cores
    from simulator.config import load_settings
    from simulator.understanding.embedding import shared_embedder

    dialogues = load_dialogues(data_folder())[:count]
    if not dialogues:
        print("\nreal dialogues: PersuasionForGood data not found (../shared/data/persuasionforgood-300); skipped")
        return
    settings = load_settings(llm="template")
    texts = [d.transcript() + "\n" for d in dialogues]
    turns = sum(len(d.turns) for d in dialogues) / len(dialogues)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nbatch grading, {len(dialogues)} real PersuasionForGood dialogues as plain-text files ({turns:.1f} "
          f"turns each; {100 * repeated_share(texts):.1f}% of their lines repeat an earlier line of the batch), "
          f"rules only, no judge ({usable_cores()} cores, load average {load:.1f}; understanding: "
          f"{os.environ.get('SPARRING_UNDERSTANDING', 'models')})")
    with tempfile.TemporaryDirectory(prefix="sparring-bench-real-") as tmp:
        files = []
        for d, text in zip(dialogues, texts, strict=True):
            path = Path(tmp) / f"{d.id}.txt"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        list(run_batch(files[:3], rep=REP, settings=settings))  # library, rubric, models: loaded once
        for r in range(rounds):
            for jobs in jobs_list:
                shared_embedder()._cache.clear()
                cpu = _cpu_seconds()
                start = time.perf_counter()
                out = list(run_batch(files, rep=REP, settings=settings, jobs=jobs))
                elapsed = time.perf_counter() - start
                cpu = _cpu_seconds() - cpu
                failed = sum("error" in o for o in out)
                n = len(files)
                startup = ", worker start-up included" if jobs > 1 else ""
                print(f"  round {r + 1} jobs={jobs}: {n / elapsed:6.1f} transcripts/s ({1000 * elapsed / n:.0f} ms "
                      f"each, CPU {1000 * cpu / n:.0f} ms each{startup}{f', {failed} FAILED' if failed else ''})",
                      flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", choices=["scripted", "embedded"], default="scripted")
    parser.add_argument("--runs", type=int, default=50, help="full-grade runs for the latency figures")
    parser.add_argument("--profile", action="store_true", help="profile metrics with analysis included")
    parser.add_argument("--batch", type=int, default=120, help="files per batch run (0: skip the batch)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker processes to measure")
    parser.add_argument("--rounds", type=int, default=2, help="alternating before/now rounds")
    parser.add_argument("--batch-only", action="store_true", help="only the batch throughput")
    parser.add_argument("--real", type=int, default=0, metavar="N",
                        help="also grade N real PersuasionForGood dialogues as files (0: skip)")
    args = parser.parse_args(argv)
    if args.batch_only:
        if args.batch > 0:
            batch(args.batch, args.jobs, args.rounds)
        if args.real > 0:
            real_batch(args.real, args.jobs, args.rounds)
        return 0

    raw = twenty_turns()
    stored = with_analyses(raw)

    def metrics_stored() -> object:
        view = build_view(stored, scenario=None, persona=None, outcome=None)
        return metric_entries(compute_numbers(view), view)

    def metrics_raw() -> object:
        view = build_view(raw, scenario=None, persona=None, outcome=None)
        return metric_entries(compute_numbers(view), view)

    per_s, ms = rate(metrics_stored)
    print(
        f"metrics, analyses pre-computed (as stored): {per_s:,.0f} transcripts/s ({ms:.2f} ms each) "
        f"[target >= 1,000/s: {'met' if per_s >= 1000 else 'NOT met'}]"
    )
    per_s2, ms2 = rate(metrics_raw)
    print(
        f"metrics, analyse() included:                {per_s2:,.0f} transcripts/s ({ms2:.2f} ms each) "
        f"[target >= 1,000/s: {'met' if per_s2 >= 1000 else 'NOT met'}]"
    )
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(lambda: [metrics_raw() for _ in range(50)])
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(12)
        print(buf.getvalue())

    scripted = ScriptedLLM(fallback=judge_fallback)
    rules = latency(None, stored, args.runs)
    full = latency(scripted, stored, args.runs)
    print(f"full grade, rules only:      median {statistics.median(rules):.1f} ms, max {max(rules):.1f} ms")
    print(
        f"full grade, ScriptedLLM:     median {statistics.median(full):.1f} ms, max {max(full):.1f} ms "
        f"[target <= 50 ms: {'met' if statistics.median(full) <= 50 else 'NOT met'}]"
    )
    if args.llm == "embedded":
        from simulator.config import load_settings
        from simulator.llm.factory import create_llm

        model = create_llm(load_settings(llm="embedded"))
        cards: list[Scorecard] = []
        cold = latency(model, stored, 1, cards)
        # Other transcripts, so only the rubric prefix (the system prompt) is reused from the cache.
        warm = [latency(model, with_analyses(variant(i)), 1, cards)[0] for i in range(1, 4)]
        print(
            f"full grade, embedded judge:  first {cold[0] / 1000:.1f} s, then median "
            f"{statistics.median(warm) / 1000:.1f} s (rubric prefix cached) [target <= 20 s]"
        )
        for i, card in enumerate(cards):
            for comp in card.competencies:
                if comp.source != "rules":
                    adj = f"{comp.llm.delta:+d} turn {comp.llm.turn}: {comp.llm.reason}" if comp.llm else "-"
                    print(f"  run {i + 1} {comp.id}: {comp.source} ({adj})")
            for warning in card.warnings:
                print(f"  run {i + 1} warning: {warning}")
    if args.batch > 0:
        batch(args.batch, args.jobs, args.rounds)
    if args.real > 0:
        real_batch(args.real, args.jobs, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
