"""Buyer realism (issue 11): repetition, responsiveness, adapted lines, leaks, latency and memory.

Everything is played through the public service (``PracticeService``), so the figures are whatever
the director, the content and the actor do when the bench runs. Template backend by default (fast,
deterministic); ``--embedded`` voices the buyer with the real model (slow: run it on a quiet machine).

Parts (``--part``, all but memory by default):
  sessions        per drill: the five natural rep scripts, the formula script and the strong and
                  weak self-play reps (tests/data/rep_scripts/<drill>/, simulator/engine/selfplay.py)
    (a) repetition within a session: share of buyer lines that repeat an earlier buyer line of the
        same session word for word (normalised: lower case, punctuation dropped), not counting
        lines that answer a rep question asked again (same words, or ≥ 75% of the words shared);
    (b) across sessions: share of buyer lines (after the opening, which no rep words precede)
        said word for word in the other session, over every pair of natural scripts of a drill;
    (d) adapted-line share: spoken line differs from the director's gist (TurnRecord.text vs
        move.gist; 0 on the template backend by construction), and leaks after the fact
        (simulator/engine/audit.py: a locked fact's distinctive words or numbers, seller or
        assistant voice, a required value missing);
    (e) with --embedded: time from send() to the first buyer text event and to the finished line,
        median and p90 over rep turns 2 onwards.
  responsiveness  (c) the labelled set tests/data/responsiveness/*.jsonl: each item's setup lines,
                  then its question; the buyer's reply passes when it meets one of the item's
                  acceptable criteria and every requirement. Dev and test splits reported apart:
                  the TEST split must not be used for tuning content, rules or prompts.
  memory          (f) sessions played back to back through a service that grades each session
                  when it ends (the app's own hook, grading/service.py); RSS sampled every 20 ms:
                  peak over the first 30 rep turns, RSS after each session's grading, and the
                  growth per session (least-squares slope over sessions).

Targets (issue 11): repetition within a session ≤ 5%, across sessions ≤ 15%, responsiveness ≥ 90%,
0 leaks, time to first buyer token median ≤ 0.5 s from turn 2 (quiet 2-core machine), peak memory
≤ 2.5 GB and flat over 30 turns with grading in between.

Run:
  python bench/bench_realism.py                                  # template: sessions + responsiveness
  python bench/bench_realism.py --embedded                       # the same, voiced by the embedded model
  python bench/bench_realism.py --embedded --part memory --sessions 10
  python bench/bench_realism.py --drill saas-discovery-ops --show-failures
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = ROOT / "tests" / "data" / "rep_scripts"
ITEMS_DIR = ROOT / "tests" / "data" / "responsiveness"
TARGETS = {"within": 0.05, "across": 0.15, "responsive": 0.90, "ttft_median_s": 0.5, "peak_gb": 2.5}
TEXT_EVENTS = frozenset({"token", "sentence", "chunk", "partial", "line"})
"""Service events that carry buyer text the rep can see (the first one is the 'first token')."""

# --------------------------------------------------------------------------- pure metric functions
# (tests/test_realism_bench.py checks these; they take plain data, not service objects)

_PUNCT = re.compile(r"[^\w\s$%]")
_SPACE = re.compile(r"\s+")


def norm_line(text: str) -> str:
    """A line for word-for-word comparison: lower case, punctuation dropped, spaces collapsed."""
    text = text.replace("’", "'").replace("'", "")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def same_question(a: str, b: str, threshold: float = 0.75) -> bool:
    """Two rep messages ask the same thing: equal once normalised, or ≥ 75% of their words shared (Jaccard)."""
    na, nb = norm_line(a), norm_line(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    wa, wb = set(na.split()), set(nb.split())
    return len(wa & wb) / len(wa | wb) >= threshold


@dataclass(frozen=True)
class Exchange:
    """One buyer line and the rep message it answers (None for the opening)."""

    rep: str | None
    buyer: str
    rep_asks: bool = True
    """The rep message contains a question (only a repeated *question* excuses a repeated answer)."""


@dataclass
class Repetition:
    repeats: int = 0
    lines: int = 0
    excused: int = 0
    """Lines left out: they answer a rep question asked again."""
    examples: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.repeats / self.lines if self.lines else 0.0

    def add(self, other: Repetition) -> None:
        self.repeats += other.repeats
        self.lines += other.lines
        self.excused += other.excused
        self.examples += other.examples


def within_session_repetition(exchanges: Sequence[Exchange]) -> Repetition:
    """Buyer lines that repeat an earlier buyer line of the session word for word (normalised).

    A line answering a rep question the rep already asked (see :func:`same_question`) is left out
    of both counts: repeating yourself to a repeated question is fine."""
    out = Repetition()
    seen: set[str] = set()
    reps: list[str] = []
    for ex in exchanges:
        key = norm_line(ex.buyer)
        repeated_q = (ex.rep is not None and ex.rep_asks and any(same_question(ex.rep, r) for r in reps))
        if ex.rep is not None:
            reps.append(ex.rep)
        if repeated_q:
            out.excused += 1
        else:
            out.lines += 1
            if key and key in seen:
                out.repeats += 1
                out.examples.append(ex.buyer)
        if key:
            seen.add(key)
    return out


@dataclass
class Overlap:
    identical: int = 0
    lines: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.identical / self.lines if self.lines else 0.0

    def add(self, other: Overlap) -> None:
        self.identical += other.identical
        self.lines += other.lines
        self.examples += other.examples


def cross_session_overlap(a: Sequence[str], b: Sequence[str]) -> Overlap:
    """Lines of each session said word for word (normalised) in the other, both directions pooled.

    Pass the buyer lines after the opening (the opening is said before the rep speaks)."""
    out = Overlap()
    na, nb = [norm_line(x) for x in a], [norm_line(x) for x in b]
    for mine, theirs, raw in ((na, set(nb), a), (nb, set(na), b)):
        for key, text in zip(mine, raw, strict=True):
            out.lines += 1
            if key and key in theirs:
                out.identical += 1
                out.examples.append(text)
    return out


def pairwise_overlap(sessions: Sequence[Sequence[str]]) -> Overlap:
    """:func:`cross_session_overlap` pooled over every pair of sessions."""
    out = Overlap()
    for a, b in itertools.combinations(sessions, 2):
        out.add(cross_session_overlap(a, b))
    return out


_AFFIRMATION = re.compile(
    r"^\W*(yes|yeah|yep|yup|sure|right|correct|exactly|absolutely|definitely|of course|agreed|confirmed|done|deal"
    r"|that's right|thats right|i suppose so|more or less|sounds good|that works|fine|ok|okay)\b",
    re.IGNORECASE)


def is_affirmation(reply: str) -> bool:
    """The reply opens by saying yes (or 'done', 'agreed', 'I suppose so' …)."""
    return bool(_AFFIRMATION.match(reply.replace("’", "'")))


def split_of(item_id: str) -> str:
    """The fixed split of a labelled item: 'dev' or 'test' by the first byte of sha256(id)."""
    return "dev" if hashlib.sha256(item_id.encode()).digest()[0] % 2 == 0 else "test"


@dataclass(frozen=True)
class Reply:
    """What the buyer did in reply to the labelled question."""

    text: str
    kind: str | None = None
    fact_id: str | None = None
    objection_id: str | None = None
    new_facts: tuple[str, ...] = ()
    """Hidden facts first revealed in this reply (state after minus state before)."""


def _criterion_holds(c: Mapping[str, Any], r: Reply) -> bool:
    if "mentions_any" in c and not any(re.search(p, r.text, re.IGNORECASE) for p in c["mentions_any"]):
        return False
    # a fact first revealed in this reply counts as a reveal whatever part of the move came first
    revealed = "reveal_fact" in c.get("move_kinds", ()) and bool(r.new_facts)
    if "move_kinds" in c and r.kind not in c["move_kinds"] and not revealed:
        return False
    if "fact_ids" in c and r.fact_id not in c["fact_ids"] and not set(r.new_facts) & set(c["fact_ids"]):
        return False
    if "objection_ids" in c and r.objection_id not in c["objection_ids"]:
        return False
    return not (c.get("not_affirmation") and is_affirmation(r.text))


def judge_reply(item: Mapping[str, Any], r: Reply) -> tuple[bool, str]:
    """Does the reply address the item's question? Returns (passed, why not)."""
    req = item.get("require") or {}
    if req.get("not_affirmation") and is_affirmation(r.text):
        return False, "says yes where yes is false"
    if r.kind is not None and r.kind in req.get("not_move_kinds", ()):
        return False, f"move {r.kind} is not acceptable here"
    for pat in req.get("not_mentions", ()):
        if re.search(pat, r.text, re.IGNORECASE):
            return False, f"mentions {pat!r}"
    if any(_criterion_holds(c, r) for c in item["acceptable"]):
        return True, ""
    return False, "meets no acceptable criterion"


def load_items(directory: Path = ITEMS_DIR) -> list[dict[str, Any]]:
    """Every labelled item, in file then line order; checks ids are unique and splits follow the hash."""
    items: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                item = json.loads(line)
                item["_where"] = f"{path.name}:{n}"
                items.append(item)
    ids = [i["id"] for i in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate item ids: {dupes}")
    for item in items:
        if item.get("split") != split_of(item["id"]):
            raise ValueError(f"{item['_where']}: split {item.get('split')!r} is not split_of(id)")
    return items


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against 0, 1, 2, … (0 for fewer than two values)."""
    n = len(values)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, statistics.fmean(values)
    return sum((x - mx) * (y - my) for x, y in enumerate(values)) / sum((x - mx) ** 2 for x in range(n))


# --------------------------------------------------------------------------- playing sessions

def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples RSS every ``every_s`` in a thread; ``mark()`` starts a new window, ``peak`` is its maximum."""

    def __init__(self, every_s: float = 0.02) -> None:
        self.every_s = every_s
        self.peak = 0.0
        self.overall = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            v = rss_mb()
            self.peak, self.overall = max(self.peak, v), max(self.overall, v)
            self._stop.wait(self.every_s)

    def mark(self) -> float:
        """Return the peak since the last mark and start a new window."""
        peak, self.peak = max(self.peak, rss_mb()), rss_mb()
        return peak

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Timing:
    turn: int
    """Rep turn number (1 = the first rep message)."""
    first_s: float | None
    full_s: float | None
    resets: int = 0
    """``reset`` events: text already shown was withdrawn (a retry or a replacement)."""


@dataclass
class Played:
    """One session played through the service."""

    drill: str
    label: str
    session_id: str
    transcript: list[dict[str, Any]]
    timings: list[Timing]
    ended_early: bool = False
    """The call ended before every scripted line was said."""

    def buyer_turns(self) -> list[dict[str, Any]]:
        return [t for t in self.transcript if t["speaker"] == "buyer"]

    def exchanges(self) -> list[Exchange]:
        out: list[Exchange] = []
        last_rep: dict[str, Any] | None = None
        for t in self.transcript:
            if t["speaker"] == "rep":
                last_rep = t
                continue
            if last_rep is None:
                out.append(Exchange(None, t["text"]))
            else:
                out.append(Exchange(last_rep["text"], t["text"], _asks(last_rep)))
            last_rep = None
        return out


def _asks(rep_turn: Mapping[str, Any]) -> bool:
    analysis = rep_turn.get("analysis") or {}
    questions = analysis.get("questions") if isinstance(analysis, Mapping) else None
    return bool(questions) or "?" in rep_turn["text"]


def _consume(events: Iterator[dict[str, Any]], started: float) -> tuple[float | None, float | None, bool, int]:
    """Drain a service stream: (seconds to the first buyer text, to the buyer's finished line, call
    ended, reset events)."""
    first = line = record = None
    ended = False
    resets = 0
    for e in events:
        now = time.perf_counter() - started
        kind = e.get("type")
        resets += kind == "reset"
        if kind in TEXT_EVENTS and e.get("text") and first is None:
            first = now
        if kind == "line":
            line = now  # the last one: a reply streamed sentence by sentence may send several
        elif kind == "turn" and e.get("record", {}).get("speaker") == "buyer" and record is None:
            record = now
        elif kind == "ended":
            ended = True
    return first, line if line is not None else record, ended, resets


def play_session(svc: Any, drill: str, label: str, next_line: Callable[[list[dict[str, Any]]], str | None],
                 difficulty: str = "medium", max_turns: int = 40,
                 after_turn: Callable[[], None] | None = None) -> Played:
    """Start a session and send the rep's lines until ``next_line`` returns None or the call ends.

    ``after_turn`` is called after each buyer reply (before the session ends and is graded)."""
    events = svc.start(drill, difficulty=difficulty)
    sid = next(events)["session_id"]
    _, _, ended, _ = _consume(events, time.perf_counter())
    timings: list[Timing] = []
    turn = 0
    early = False
    while not ended and turn < max_turns:
        transcript = svc.get(sid).transcript
        line = next_line(list(transcript))
        if line is None:
            list(svc.end(sid))
            break
        turn += 1
        t0 = time.perf_counter()
        first, full, ended, resets = _consume(svc.send(sid, line), t0)
        timings.append(Timing(turn, first, full, resets))
        if after_turn is not None:
            after_turn()
        if ended and next_line(list(svc.get(sid).transcript)) is not None:
            early = True
    return Played(drill, label, sid, [dict(t) for t in svc.get(sid).transcript], timings, early)


def scripted(lines: Sequence[str]) -> Callable[[list[dict[str, Any]]], str | None]:
    """A rep that says ``lines`` in order, whatever the buyer says (peeking does not consume)."""
    def next_line(transcript: list[dict[str, Any]]) -> str | None:
        said = sum(1 for t in transcript if t["speaker"] == "rep")
        return lines[said] if said < len(lines) else None
    return next_line


def policy_rep(svc: Any, drill: str, strength: str) -> Callable[[list[dict[str, Any]]], str | None]:
    """The self-play strong/weak rep (reads only the public brief and the words said)."""
    from simulator.engine.repview import PublicBrief, RepView
    from simulator.engine.selfplay import make_policy

    scenario = svc.library.scenario(drill)
    brief = PublicBrief.of(scenario, svc.library.persona(scenario.persona))
    policy = make_policy(scenario.kind, strength)  # type: ignore[arg-type]
    cache: dict[int, str | None] = {}

    def next_line(transcript: list[dict[str, Any]]) -> str | None:
        n = len(transcript)
        if n not in cache:  # policies keep memory: ask once per transcript length
            cache[n] = policy.next_line(RepView.of(brief, transcript))  # type: ignore[arg-type]
        return cache[n]
    return next_line


def read_script(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def natural_scripts(drill: str) -> list[tuple[str, list[str]]]:
    return [(p.stem, read_script(p)) for p in sorted((SCRIPTS_DIR / drill).glob("natural-*.txt"))]


@contextmanager
def open_service(embedded: bool, data_dir: Path, *, grade: bool = False, judge: str = "auto",
                 llm: Any = None) -> Iterator[Any]:
    from simulator.config import Settings
    from simulator.session import PracticeService

    settings = Settings(data_dir=data_dir, llm="embedded" if embedded else "template", judge=judge)  # type: ignore[arg-type]
    hook = None
    if grade:
        from grading.service import scorecard_hook

        hook = scorecard_hook(settings)
    kwargs: dict[str, Any] = {"on_session_end": hook}
    if llm is not None:
        kwargs["llm"] = llm
    with PracticeService.open(settings, **kwargs) as svc:
        yield svc


# --------------------------------------------------------------------------- parts

@dataclass
class DrillFigures:
    within: Repetition = field(default_factory=Repetition)
    across: Overlap = field(default_factory=Overlap)
    buyer_lines: int = 0
    llm_voiced: int = 0
    adapted: int = 0
    replaced: int = 0
    leaks: dict[str, int] = field(default_factory=dict)
    leak_examples: list[str] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)
    full_s: list[float] = field(default_factory=list)
    sessions: int = 0
    ended_early: int = 0
    withdrawn: int = 0
    """Replies whose shown text was withdrawn (at least one ``reset`` event)."""


def adapted_counts(transcript: Iterable[Mapping[str, Any]]) -> tuple[int, int, int, int]:
    """(buyer lines with a move, voiced by the model, adapted: spoken != gist, replaced by the check)."""
    lines = llm = adapted = replaced = 0
    for t in transcript:
        if t["speaker"] != "buyer" or not t.get("move"):
            continue
        lines += 1
        llm += t.get("voiced_by") == "llm"
        adapted += t.get("voiced_by") == "llm" and norm_line(t["text"]) != norm_line(t["move"]["gist"])
        replaced += t.get("rejected") is not None
    return lines, llm, adapted, replaced


def part_sessions(svc: Any, drills: Sequence[str], progress: bool) -> dict[str, DrillFigures]:
    from simulator.engine.audit import audit_transcript

    out: dict[str, DrillFigures] = {}
    for drill in drills:
        fig = out.setdefault(drill, DrillFigures())
        persona = svc.library.persona(svc.library.scenario(drill).persona)
        plays: list[Played] = []
        naturals = natural_scripts(drill)
        for label, lines in naturals:
            plays.append(play_session(svc, drill, label, scripted(lines)))
        formula = SCRIPTS_DIR / drill / "formula.txt"
        if formula.exists():
            plays.append(play_session(svc, drill, "formula", scripted(read_script(formula))))
        for strength in ("strong", "weak"):
            plays.append(play_session(svc, drill, strength, policy_rep(svc, drill, strength)))
        for p in plays:
            fig.sessions += 1
            fig.ended_early += p.ended_early
            fig.within.add(within_session_repetition(p.exchanges()))
            n, llm, adapted, replaced = adapted_counts(p.transcript)
            fig.buyer_lines += n
            fig.llm_voiced += llm
            fig.adapted += adapted
            fig.replaced += replaced
            report = audit_transcript(p.transcript, persona)  # type: ignore[arg-type]
            for kind, examples in report.leaks.items():
                fig.leaks[kind] = fig.leaks.get(kind, 0) + len(examples)
                fig.leak_examples += [f"{kind}: {drill}/{p.label} {e}" for e in examples]
            for tm in p.timings:
                fig.withdrawn += tm.resets > 0
                if tm.turn >= 2 and tm.first_s is not None:
                    fig.first_s.append(tm.first_s)
                if tm.turn >= 2 and tm.full_s is not None:
                    fig.full_s.append(tm.full_s)
        natural_lines = [[t["text"] for t in p.buyer_turns()[1:]] for p in plays[: len(naturals)]]
        fig.across = pairwise_overlap(natural_lines)
        if progress:
            print(f"  .. {drill}: {fig.sessions} sessions, {fig.buyer_lines} buyer lines", flush=True)
    return out


@dataclass
class ItemResult:
    item: dict[str, Any]
    passed: bool
    why: str
    reply: str


def run_item(svc: Any, item: Mapping[str, Any]) -> ItemResult:
    lines = [*item.get("setup", []), item["question"]]
    played = play_session(svc, item["scenario"], item["id"], scripted(lines), item.get("difficulty", "medium"))
    rep_turns = [i for i, t in enumerate(played.transcript) if t["speaker"] == "rep"]
    if len(rep_turns) < len(lines):
        return ItemResult(dict(item), False, "the call ended during the setup", "")
    q_index = rep_turns[len(lines) - 1]
    after = next((t for t in played.transcript[q_index + 1:] if t["speaker"] == "buyer"), None)
    if after is None:
        return ItemResult(dict(item), False, "no buyer reply", "")
    before = next((t for t in reversed(played.transcript[:q_index]) if t["speaker"] == "buyer"), None)
    move = after.get("move") or {}
    old = set((before or {}).get("state", {}).get("facts_revealed", []) if before and before.get("state") else [])
    new = tuple(f for f in (after.get("state") or {}).get("facts_revealed", []) if f not in old)
    reply = Reply(after["text"], move.get("kind"), move.get("fact_id"), move.get("objection_id"), new)
    ok, why = judge_reply(item, reply)
    return ItemResult(dict(item), ok, why, after["text"])


def part_responsiveness(svc: Any, items: Sequence[dict[str, Any]], progress: bool) -> list[ItemResult]:
    results = []
    for n, item in enumerate(items, 1):
        results.append(run_item(svc, item))
        if progress and n % 25 == 0:
            print(f"  .. {n}/{len(items)} items", flush=True)
    return results


@dataclass
class MemoryRun:
    after_load_mb: float
    by_turn_mb: list[float]
    by_session_mb: list[float]
    """RSS after each session ended and was graded."""
    session_peaks_mb: list[float]
    peak_30_mb: float
    peak_mb: float
    turns: int
    graded: int
    cache: list[str]


def part_memory(embedded: bool, data_dir: Path, drills: Sequence[str], sessions: int, judge: str) -> MemoryRun:
    """Sessions back to back (natural scripts, drills in turn), each graded when it ends."""
    with RssSampler() as sampler, open_service(embedded, data_dir, grade=True, judge=judge) as svc:
        if embedded:
            svc.llm.load()
        after_load = rss_mb()
        sampler.mark()
        by_turn: list[float] = []
        by_session: list[float] = []
        peaks: list[float] = []
        peak_30 = 0.0
        scripts = [(d, lines) for d in drills for _, lines in natural_scripts(d)]
        order = [scripts[(i * 5 + i // len(drills)) % len(scripts)] for i in range(sessions)]
        turns = graded = 0
        def sample() -> None:
            nonlocal turns
            turns += 1
            if turns <= 30:
                by_turn.append(rss_mb())

        for drill, lines in order:
            played = play_session(svc, drill, "memory", scripted(lines), after_turn=sample)
            record = svc.store.get_session(played.session_id)
            graded += bool(record and record.scorecard)
            peak = sampler.mark()
            peaks.append(peak)
            if turns - len(played.timings) < 30:
                peak_30 = max(peak_30, peak)
            by_session.append(rss_mb())
        cache = _cache_state(svc) if embedded else []
    return MemoryRun(after_load, by_turn, by_session, peaks, peak_30, sampler.overall, turns, graded, cache)


def _cache_state(svc: Any) -> list[str]:
    try:
        cache = svc.llm.prefix_cache
    except Exception:  # a backend without a prefix cache
        return []
    return [f"prefix cache: {len(cache)} entries, {cache.cache_size / 2**20:.0f} MB of "
            f"{cache.capacity_bytes / 2**20:.0f} MB; hits {cache.hits}, misses {cache.misses}, "
            f"evictions {cache.evictions}, dropped {cache.dropped}"]


# --------------------------------------------------------------------------- printing

REQUIRED = "misses_required_value"


def _leaks(counts: Mapping[str, int]) -> int:
    """Leaks proper: a locked fact, the seller's or an assistant's voice (not a missing required value)."""
    return sum(v for k, v in counts.items() if k != REQUIRED)


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "      -"
    return f"{statistics.median(values):5.2f}/{percentile(values, 0.9):5.2f}"


def print_sessions(figs: Mapping[str, DrillFigures], embedded: bool) -> dict[str, Any]:
    print("\n(a) repetition within a session · (b) identical lines across sessions · (d) adapted lines, leaks"
          + (" · (e) seconds to first text / full reply, median/p90 from rep turn 2" if embedded else ""))
    head = (f"{'drill':36} {'sess':>4} {'lines':>5} {'within':>7} {'across':>7} {'adapted':>7} {'leaks':>5} "
            f"{'reqmiss':>7}")
    if embedded:
        head += f" {'first s med/p90':>15} {'full s med/p90':>15}"
    print(head)
    total = DrillFigures()
    for drill, f in figs.items():
        row = (f"{drill:36} {f.sessions:4d} {f.buyer_lines:5d} {_pct(f.within.share):>7} {_pct(f.across.share):>7} "
               f"{_pct(f.adapted / f.buyer_lines if f.buyer_lines else 0):>7} {_leaks(f.leaks):5d} "
               f"{f.leaks.get(REQUIRED, 0):7d}")
        if embedded:
            row += f" {_ms(f.first_s):>15} {_ms(f.full_s):>15}"
        print(row)
        total.within.add(f.within)
        total.across.add(f.across)
        total.sessions += f.sessions
        total.buyer_lines += f.buyer_lines
        total.llm_voiced += f.llm_voiced
        total.adapted += f.adapted
        total.replaced += f.replaced
        total.ended_early += f.ended_early
        total.withdrawn += f.withdrawn
        total.first_s += f.first_s
        total.full_s += f.full_s
        for k, v in f.leaks.items():
            total.leaks[k] = total.leaks.get(k, 0) + v
        total.leak_examples += f.leak_examples
    row = (f"{'ALL':36} {total.sessions:4d} {total.buyer_lines:5d} {_pct(total.within.share):>7} "
           f"{_pct(total.across.share):>7} {_pct(total.adapted / total.buyer_lines if total.buyer_lines else 0):>7} "
           f"{_leaks(total.leaks):5d} {total.leaks.get(REQUIRED, 0):7d}")
    if embedded:
        row += f" {_ms(total.first_s):>15} {_ms(total.full_s):>15}"
    print(row)
    print(f"within: {total.within.repeats} repeated of {total.within.lines} buyer lines "
          f"({total.within.excused} left out: answers to a repeated rep question)  target ≤ 5%")
    print(f"across: {total.across.identical} of {total.across.lines} lines said word for word in the other "
          f"session, over every pair of natural scripts of a drill  target ≤ 15%")
    print(f"voiced by the model: {total.llm_voiced} of {total.buyer_lines}; adapted (spoken != gist): "
          f"{total.adapted}; replaced by the acceptance check: {total.replaced}")
    print("leaks (locked fact, seller or assistant voice): " + ", ".join(
        f"{k} {v}" for k, v in total.leaks.items() if k != REQUIRED) + "  target 0")
    print(f"reqmiss: spoken lines without a value the move requires (audit's misses_required_value): "
          f"{total.leaks.get(REQUIRED, 0)}")
    for e in sorted(total.leak_examples, key=lambda e: e.startswith(REQUIRED))[:6]:
        print(f"  e.g. {e}")
    print(f"replies whose shown text was withdrawn (reset events): {total.withdrawn}")
    if total.ended_early:
        print(f"sessions the buyer ended before the script ran out: {total.ended_early}")
    common = _most_common(total.within.examples, 3)
    if common:
        print("most repeated within a session: " + "; ".join(f"{n}× {t!r}" for t, n in common))
    common = _most_common(total.across.examples, 3)
    if common:
        print("most shared across sessions: " + "; ".join(f"{n}× {t!r}" for t, n in common))
    if embedded and total.first_s:
        print(f"first buyer text from rep turn 2: median {statistics.median(total.first_s):.2f} s, "
              f"p90 {percentile(total.first_s, 0.9):.2f} s (n={len(total.first_s)})  target median ≤ 0.5 s; "
              f"full reply median {statistics.median(total.full_s):.2f} s, p90 {percentile(total.full_s, 0.9):.2f} s")
    return {
        "within": total.within.share, "across": total.across.share, "lines": total.buyer_lines,
        "adapted": total.adapted / total.buyer_lines if total.buyer_lines else 0.0,
        "llm_voiced": total.llm_voiced, "replaced": total.replaced, "leaks": dict(total.leaks),
        "withdrawn": total.withdrawn,
        "first_median_s": statistics.median(total.first_s) if total.first_s else None,
        "first_p90_s": percentile(total.first_s, 0.9) if total.first_s else None,
        "full_median_s": statistics.median(total.full_s) if total.full_s else None,
        "full_p90_s": percentile(total.full_s, 0.9) if total.full_s else None,
        "per_drill": {d: {"within": f.within.share, "across": f.across.share, "lines": f.buyer_lines,
                          "adapted": f.adapted / f.buyer_lines if f.buyer_lines else 0.0,
                          "leaks": _leaks(f.leaks), "reqmiss": f.leaks.get(REQUIRED, 0)}
                      for d, f in figs.items()},
    }


def _most_common(texts: Sequence[str], n: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


def _share(rs: Sequence[ItemResult]) -> str:
    return f"{sum(r.passed for r in rs):3d}/{len(rs):3d} {_pct(sum(r.passed for r in rs) / len(rs)) if rs else '    -'}"


def print_responsiveness(results: Sequence[ItemResult], show_failures: str | None) -> dict[str, Any]:
    print("\n(c) responsiveness on the labelled set (tests/data/responsiveness): reply answers the question, "
          "or deflects it naming what was asked")
    print("    TEST split: report only, never tune on it. Target ≥ 90% on each split.")
    print(f"{'drill':36} {'dev':>13} {'test':>13}")
    drills = sorted({r.item["scenario"] for r in results})
    for d in drills:
        rs = [r for r in results if r.item["scenario"] == d]
        print(f"{d:36} {_share([r for r in rs if r.item['split'] == 'dev']):>13} "
              f"{_share([r for r in rs if r.item['split'] == 'test']):>13}")
    dev = [r for r in results if r.item["split"] == "dev"]
    test = [r for r in results if r.item["split"] == "test"]
    print(f"{'ALL':36} {_share(dev):>13} {_share(test):>13}")
    for key in ("form", "topic", "state"):
        values = sorted({str(r.item.get(key)) for r in results})
        cells = []
        for v in values:
            rs = [r for r in results if str(r.item.get(key)) == v]
            cells.append(f"{v} {sum(r.passed for r in rs)}/{len(rs)}")
        print(f"by {key} (dev+test): " + ", ".join(cells))
    ended = sum(r.why == "the call ended during the setup" for r in results)
    if ended:
        print(f"items whose call ended during the setup (counted as not answered): {ended}")
    if show_failures:
        shown = [r for r in results if not r.passed and show_failures in ("all", r.item["split"])]
        print(f"\nfailures ({show_failures} split{'s' if show_failures == 'all' else ''}): {len(shown)}")
        for r in shown:
            print(f"  {r.item['id']:11} [{r.item['split']}] Q: {r.item['question']}\n"
                  f"  {'':11}   A: {r.reply!r} ({r.why})")
    return {
        "dev": sum(r.passed for r in dev) / len(dev) if dev else None, "dev_n": len(dev),
        "test": sum(r.passed for r in test) / len(test) if test else None, "test_n": len(test),
        "per_item": {r.item["id"]: r.passed for r in results},
    }


def print_memory(m: MemoryRun, embedded: bool, judge: str) -> dict[str, Any]:
    print(f"\n(f) memory: {len(m.by_session_mb)} sessions back to back, {m.turns} rep turns, each session graded "
          f"when it ended ({m.graded} scorecards; judge={judge})")
    print(f"rss after load: {m.after_load_mb:.0f} MB")
    print("rss by rep turn (first 30): " + " ".join(f"{v:.0f}" for v in m.by_turn_mb))
    print("rss after each session + grading: " + " ".join(f"{v:.0f}" for v in m.by_session_mb))
    print("peak within each session: " + " ".join(f"{v:.0f}" for v in m.session_peaks_mb))
    growth_turns = m.by_turn_mb[-1] - m.by_turn_mb[min(4, len(m.by_turn_mb) - 1)] if m.by_turn_mb else 0.0
    per_session = slope(m.by_session_mb[1:]) if len(m.by_session_mb) > 2 else 0.0
    half = m.by_session_mb[len(m.by_session_mb) // 2:]
    late = slope(half) if len(half) > 2 else 0.0
    print(f"peak over the first 30 turns: {m.peak_30_mb:.0f} MB; peak overall: {m.peak_mb:.0f} MB "
          f"(target ≤ {TARGETS['peak_gb'] * 1024:.0f} MB)")
    print(f"growth turn 5 → 30: {growth_turns:+.0f} MB; after-session RSS slope: {per_session:+.1f} MB/session "
          f"from session 2, {late:+.1f} MB/session over the last {len(half)} sessions (a bounded prefix cache "
          "grows until full, then stays flat)")
    for line in m.cache:
        print(line)
    return {"after_load_mb": m.after_load_mb, "peak_30_mb": m.peak_30_mb, "peak_mb": m.peak_mb,
            "by_session_mb": m.by_session_mb, "growth_turn5_30_mb": growth_turns,
            "slope_mb_per_session": per_session, "slope_last_half_mb_per_session": late, "embedded": embedded}


# --------------------------------------------------------------------------- main

def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedded", action="store_true", help="voice the buyer with the embedded model")
    parser.add_argument("--part", choices=["sessions", "responsiveness", "memory", "default", "all"],
                        default="default", help="default: sessions + responsiveness")
    parser.add_argument("--drill", action="append", help="only this drill (repeatable)")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all",
                        help="responsiveness items to play")
    parser.add_argument("--max-items", type=int, default=0, help="play at most N items (0: all)")
    parser.add_argument("--show-failures", choices=["dev", "test", "all"],
                        help="print the failed items of a split (dev for tuning; test only to report)")
    parser.add_argument("--sessions", type=int, default=10, help="memory part: sessions back to back")
    parser.add_argument("--judge", choices=["auto", "on", "off"], default="auto",
                        help="memory part: the grader's LLM judge (auto = the app's default)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    from simulator.content.loader import load_library

    library = load_library()
    drills = args.drill or sorted(library.scenarios)
    parts = {"default": {"sessions", "responsiveness"}, "all": {"sessions", "responsiveness", "memory"}}.get(
        args.part, {args.part})
    backend = "embedded" if args.embedded else "template"
    print(f"bench_realism · backend {backend} · drills {len(drills)} · {time.strftime('%Y-%m-%d %H:%M:%S')}")
    out: dict[str, Any] = {"backend": backend, "drills": list(drills)}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if parts & {"sessions", "responsiveness"}:
            with open_service(args.embedded, Path(tmp) / "play") as svc:
                if args.embedded:
                    t0 = time.perf_counter()
                    svc.llm.load()
                    print(f"model load: {time.perf_counter() - t0:.1f} s")
                if "sessions" in parts:
                    out["sessions"] = print_sessions(part_sessions(svc, drills, not args.quiet), args.embedded)
                if "responsiveness" in parts:
                    items = [i for i in load_items() if i["scenario"] in drills
                             and args.split in ("all", i["split"])]
                    if args.max_items:
                        items = items[: args.max_items]
                    results = part_responsiveness(svc, items, not args.quiet)
                    out["responsiveness"] = print_responsiveness(results, args.show_failures)
        if "memory" in parts:
            m = part_memory(args.embedded, Path(tmp) / "memory", drills, args.sessions, args.judge)
            out["memory"] = print_memory(m, args.embedded, args.judge)
    print(f"\nwall time: {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
