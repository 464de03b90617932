"""Delivery metrics from timestamped turns: speaking rate, filler words, pause before answering,
longest monologue and talk ratio, each beside its published reference.

Pure functions over plain frozen dataclasses; no model is needed and every result has ``to_dict()``
(JSON-serialisable), so the grader can consume them directly.

Timing convention: all times (turn start/end and word start/end) are seconds on **one clock** for the
whole conversation, e.g. seconds since the session started. For a live voice turn the app knows when
the buyer's audio finished playing and when the rep's recording started; add the recording's start
time to the word times from speech-to-text (:func:`turn_from_words` does this with ``offset``).

Filler-word rule (deliberately conservative: a missed filler is better than accusing a rep of one
they did not say — opaque or unfair scores are what reps distrust most):

* ``um`` (also umm, uhm, erm, er), ``uh`` (also uhh), ``basically``, ``actually``: always counted.
* ``like``: counted only when the transcript sets it off as a discourse marker, i.e. it is followed
  by a comma, dash or ellipsis ("it's, like, expensive", "Like, we tried"), or repeated ("like
  like"); never after would/I'd/feel/looks/sounds/seems/something/things ("I'd like, say, ..."),
  so "I like it", "looks like a fit", "would like to" never count.
* ``you know``: counted when "know" is followed by punctuation or ends the turn ("you know, the",
  "right, you know?") and is not preceded by do/did/don't/if/what/how/as/would/will/let/to.
* ``i mean``: counted when "mean" is followed by a comma or dash ("I mean, we could") and not
  preceded by what/if/do/did/don't ("what I mean, is").
* ``kind of`` / ``sort of`` (and kinda/sorta): counted unless a determiner comes before ("a kind
  of", "the sort of", "what kind of", "this kind of"), which makes it a noun phrase.

Whisper writes fluent text by default and drops "um"/"uh" and the commas this rule relies on;
:mod:`simulator.voice.stt` primes it with a disfluent prompt (``VERBATIM_PROMPT``) so they stay. Even
so, counts from transcribed audio are a lower bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# --- published references (see /docs/voice.md and shared sales-benchmarks notes) -------------------
GONG_WPM_NORMAL = 173.0
GONG_WPM_OBJECTION_BAD = 188.0
SRC_WPM = "Gong Labs via secondary source: ~173 wpm normally, ~188 wpm when an objection goes badly"
TOP_REP_OBJECTION_PAUSE_S = 1.5
AVG_REP_OBJECTION_PAUSE_S = 0.3
SRC_PAUSE = "Secondary source citing Gong (67,149 calls): top reps pause ~1.5 s after an objection vs ~0.3 s"
MONOLOGUE_WARN_S = 120.0
SRC_MONOLOGUE = (
    "Gong Labs (121,828 meetings): a company overview longer than 2 min lowers win rates; "
    "winning pitches stay under 9 min"
)
TOP_TALK_RATIO = 0.43
HIGH_TALK_RATIO = 0.65
SRC_TALK = "Gong Labs (25,537 calls): 43:57 talk:listen for the highest-converting reps; > 65% converts less"
SRC_FILLERS = "No published benchmark in our sources; fewer is better"

_PUNCT_AFTER = re.compile(r"[,;:\-–—…]+$")
_ANY_TRAILING_PUNCT = re.compile(r"[,;:.!?\-–—…\"')\]]+$")
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*$")
_CORE = re.compile(r"[^\w']+")

_ALWAYS = {
    "um": "um",
    "umm": "um",
    "uhm": "um",
    "erm": "um",
    "er": "um",
    "uh": "uh",
    "uhh": "uh",
    "basically": "basically",
    "actually": "actually",
    "kinda": "kind of",
    "sorta": "sort of",
}
_LIKE_NOT_AFTER = {
    "would",
    "i'd",
    "we'd",
    "you'd",
    "they'd",
    "he'd",
    "she'd",
    "feel",
    "feels",
    "felt",
    "look",
    "looks",
    "looked",
    "sound",
    "sounds",
    "seem",
    "seems",
    "something",
    "anything",
    "nothing",
    "things",
    "stuff",
    "just",
    "much",
    "more",
}
_YOU_KNOW_NOT_AFTER = {
    "do",
    "did",
    "don't",
    "didn't",
    "does",
    "doesn't",
    "if",
    "what",
    "how",
    "as",
    "would",
    "will",
    "should",
    "could",
    "let",
    "to",
    "than",
    "whether",
}
_I_MEAN_NOT_AFTER = {"what", "if", "do", "did", "don't", "didn't"}
_DETERMINERS = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "what",
    "which",
    "some",
    "any",
    "every",
    "each",
    "one",
    "no",
    "same",
    "other",
    "another",
    "my",
    "your",
    "our",
    "their",
    "his",
    "her",
    "its",
    "whatever",
    "what's",
    "that's",
}
FILLERS: tuple[str, ...] = ("um", "uh", "like", "you know", "sort of", "kind of", "basically", "actually", "i mean")


@dataclass(frozen=True)
class TimedWord:
    """A word as spoken, punctuation attached as the transcriber wrote it (e.g. ``"like,"``)."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted turn. ``objection`` marks a buyer turn that raised an objection."""

    speaker: str
    start: float
    end: float
    text: str = ""
    words: tuple[TimedWord, ...] = ()
    objection: bool = False

    @property
    def speech_start(self) -> float:
        """When speech begins: the first word's start if words are known, else ``start``."""
        return self.words[0].start if self.words else self.start

    @property
    def speech_end(self) -> float:
        """When speech ends: the last word's end if words are known, else ``end``."""
        return self.words[-1].end if self.words else self.end

    @property
    def tokens(self) -> list[str]:
        """The words as written (from ``words`` if present, else ``text`` split on spaces)."""
        return [w.text for w in self.words] if self.words else self.text.split()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        """Build a turn from a dict such as :meth:`to_dict` output (``words`` as list of dicts)."""
        words = tuple(TimedWord(str(w["text"]), float(w["start"]), float(w["end"])) for w in data.get("words", ()))
        return cls(
            speaker=str(data["speaker"]),
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data.get("text", "")),
            words=words,
            objection=bool(data.get("objection", False)),
        )


def turn_from_words(
    speaker: str, words: Iterable[Any], *, offset: float = 0.0, objection: bool = False, text: str | None = None
) -> Turn:
    """Make a :class:`Turn` from word objects/dicts with ``text``/``word``, ``start``, ``end``.

    ``offset`` is added to every time (e.g. when the recording started, on the conversation clock).
    Works with :class:`simulator.voice.stt.Word` objects and faster-whisper words alike.
    """
    timed: list[TimedWord] = []
    for w in words:
        fields: dict[str, Any] = (
            w if isinstance(w, dict) else {k: getattr(w, k, None) for k in ("text", "word", "start", "end")}
        )
        raw = fields.get("text") if fields.get("text") is not None else fields.get("word")
        token = str(raw or "").strip()
        if token:
            timed.append(
                TimedWord(token, round(float(fields["start"]) + offset, 3), round(float(fields["end"]) + offset, 3))
            )
    if not timed:
        return Turn(speaker, offset, offset, text or "", (), objection)
    joined = text if text is not None else " ".join(t.text for t in timed)
    return Turn(speaker, timed[0].start, timed[-1].end, joined, tuple(timed), objection)


# --- filler words ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillerResult:
    """Filler words found in some speech."""

    total: int
    words: int
    per_100_words: float
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)


def _core(token: str) -> str:
    return _CORE.sub("", token.lower().replace("’", "'")).strip("'")


def count_fillers(tokens: Sequence[str] | str) -> FillerResult:
    """Count filler words in ``tokens`` (words with their punctuation) or a text, by the module rule."""
    toks = tokens.split() if isinstance(tokens, str) else [t for t in tokens if t.strip()]
    cores = [_core(t) for t in toks]
    n_words = sum(1 for c in cores if c)
    counts: dict[str, int] = {}

    def prev(i: int) -> str:
        return cores[i - 1] if i > 0 else ""

    i = 0
    while i < len(toks):
        c, tok = cores[i], toks[i]
        nxt = cores[i + 1] if i + 1 < len(toks) else None
        hit: str | None = None
        width = 1
        if c in _ALWAYS and not (c in {"kinda", "sorta"} and prev(i) in _DETERMINERS):
            hit = _ALWAYS[c]
        elif c == "like":
            set_off = bool(_PUNCT_AFTER.search(tok)) or nxt == "like"
            if set_off and prev(i) not in _LIKE_NOT_AFTER:
                hit = "like"
        elif c == "you" and nxt == "know":
            know_tok = toks[i + 1]
            last = i + 1 == len(toks) - 1
            if (last or _ANY_TRAILING_PUNCT.search(know_tok)) and prev(i) not in _YOU_KNOW_NOT_AFTER:
                hit, width = "you know", 2
        elif c == "i" and nxt == "mean":
            if _PUNCT_AFTER.search(toks[i + 1]) and prev(i) not in _I_MEAN_NOT_AFTER:
                hit, width = "i mean", 2
        elif (
            c in {"kind", "sort"}
            and nxt == "of"
            and prev(i) not in _DETERMINERS
            and not _ANY_TRAILING_PUNCT.search(tok)
        ):
            hit, width = f"{c} of", 2
        if hit:
            counts[hit] = counts.get(hit, 0) + 1
        i += width
    total = sum(counts.values())
    per100 = round(100.0 * total / n_words, 2) if n_words else 0.0
    return FillerResult(
        total=total, words=n_words, per_100_words=per100, counts={k: counts[k] for k in FILLERS if k in counts}
    )


# --- timing metrics --------------------------------------------------------------------------------


def _is_rep(turn: Turn, rep: str) -> bool:
    return turn.speaker.strip().lower() == rep.strip().lower()


def _speaking_seconds(turn: Turn) -> float:
    return max(0.0, turn.speech_end - turn.speech_start)


def _word_count(turn: Turn) -> int:
    return sum(1 for t in turn.tokens if _core(t))


def speaking_rate_wpm(turns: Sequence[Turn]) -> float | None:
    """Words per minute over ``turns`` (time from each turn's first word start to last word end).

    None when there is no measurable speaking time.
    """
    seconds = sum(_speaking_seconds(t) for t in turns)
    words = sum(_word_count(t) for t in turns)
    if seconds <= 0 or words == 0:
        return None
    return round(words * 60.0 / seconds, 1)


@dataclass(frozen=True)
class Pause:
    """Silence between the end of the buyer's turn and the start of the rep's answer.

    Negative ``seconds`` means the rep started before the buyer finished (an interruption).
    """

    rep_turn: int
    seconds: float
    after_objection: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)


def response_pauses(turns: Sequence[Turn], rep: str = "Rep") -> list[Pause]:
    """One :class:`Pause` per rep turn that directly follows another speaker's turn."""
    pauses: list[Pause] = []
    for i in range(1, len(turns)):
        cur, before = turns[i], turns[i - 1]
        if _is_rep(cur, rep) and not _is_rep(before, rep):
            pauses.append(Pause(i, round(cur.speech_start - before.speech_end, 3), before.objection))
    return pauses


def longest_monologue(turns: Sequence[Turn], rep: str = "Rep") -> tuple[float, int | None]:
    """Longest stretch of rep speech with no other speaker in between: (seconds, first turn index).

    Consecutive rep turns are one monologue. ``(0.0, None)`` when the rep never speaks.
    """
    best, best_i = 0.0, None
    run_start: float | None = None
    run_i: int | None = None
    run_end = 0.0
    for i, turn in enumerate(turns):
        if _is_rep(turn, rep):
            if run_start is None:
                run_start, run_i = turn.speech_start, i
            run_end = turn.speech_end
            if run_end - run_start > best:
                best, best_i = run_end - run_start, run_i
        else:
            run_start = None
    return round(best, 3), best_i


def talk_ratio(turns: Sequence[Turn], rep: str = "Rep") -> float | None:
    """Share of all speaking time that is the rep's (0–1), None with no speech."""
    total = sum(_speaking_seconds(t) for t in turns)
    if total <= 0:
        return None
    return round(sum(_speaking_seconds(t) for t in turns if _is_rep(t, rep)) / total, 3)


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One number with the published reference shown beside it."""

    key: str
    label: str
    value: float | None
    unit: str
    reference: str
    source: str
    reference_value: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class DeliveryReport:
    """All delivery metrics of the rep in a conversation, plus the raw details behind them."""

    metrics: tuple[Metric, ...]
    fillers: FillerResult
    pauses: tuple[Pause, ...]
    rep_turns: int

    def metric(self, key: str) -> Metric:
        """The metric with ``key`` (KeyError if absent)."""
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict."""
        return asdict(self)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def delivery_report(turns: Sequence[Turn], rep: str = "Rep") -> DeliveryReport:
    """Compute every delivery metric for the rep (``rep`` is the rep's speaker label, any case)."""
    rep_turns = [t for t in turns if _is_rep(t, rep)]
    after_objection = {p.rep_turn for p in response_pauses(turns, rep) if p.after_objection}
    wpm = speaking_rate_wpm(rep_turns)
    wpm_obj = speaking_rate_wpm([turns[i] for i in sorted(after_objection)])
    tokens = [tok for t in rep_turns for tok in t.tokens]
    fillers = count_fillers(tokens)
    pauses = response_pauses(turns, rep)
    obj_pauses = [p.seconds for p in pauses if p.after_objection]
    mono, mono_i = longest_monologue(turns, rep)
    ratio = talk_ratio(turns, rep)

    filler_detail = ": " + ", ".join(f"{k} ×{v}" for k, v in fillers.counts.items()) if fillers.counts else ""

    def wpm_note(value: float | None) -> str:
        if value is None:
            return "no timed rep speech"
        if value >= GONG_WPM_OBJECTION_BAD:
            return f"at or above the {GONG_WPM_OBJECTION_BAD:.0f} wpm seen when objection handling goes badly"
        return f"{value - GONG_WPM_NORMAL:+.0f} wpm against the {GONG_WPM_NORMAL:.0f} wpm norm"

    def pause_note(value: float | None) -> str:
        if value is None:
            return "no objection was answered"
        if value >= TOP_REP_OBJECTION_PAUSE_S:
            return "pauses like top reps before answering objections"
        if value <= AVG_REP_OBJECTION_PAUSE_S:
            return "answers objections as fast as average reps (~0.3 s)"
        return "between average (~0.3 s) and top reps (~1.5 s)"

    metrics = (
        Metric(
            "speaking_rate_wpm",
            "Speaking rate",
            wpm,
            "wpm",
            "~173 wpm normal; ~188 when an objection goes badly",
            SRC_WPM,
            GONG_WPM_NORMAL,
            wpm_note(wpm),
        ),
        Metric(
            "speaking_rate_after_objection_wpm",
            "Speaking rate answering objections",
            wpm_obj,
            "wpm",
            "~188 wpm is typical of objections that go badly",
            SRC_WPM,
            GONG_WPM_OBJECTION_BAD,
            wpm_note(wpm_obj),
        ),
        Metric(
            "filler_words_per_100",
            "Filler words per 100 words",
            fillers.per_100_words if fillers.words else None,
            "per 100 words",
            "no published benchmark",
            SRC_FILLERS,
            None,
            f"{fillers.total} filler(s) in {fillers.words} words" + filler_detail,
        ),
        Metric(
            "pause_after_objection_s",
            "Pause before answering an objection",
            _mean(obj_pauses),
            "s",
            "top reps ~1.5 s; average reps ~0.3 s",
            SRC_PAUSE,
            TOP_REP_OBJECTION_PAUSE_S,
            pause_note(_mean(obj_pauses)),
        ),
        Metric(
            "pause_before_answer_s",
            "Pause before answering (all turns)",
            _mean([p.seconds for p in pauses]),
            "s",
            "no separate benchmark; see pause after objection",
            SRC_PAUSE,
            None,
            f"{len(pauses)} answer(s)",
        ),
        Metric(
            "longest_monologue_s",
            "Longest rep monologue",
            mono if mono_i is not None else None,
            "s",
            "company overview > 2 min lowers win rates",
            SRC_MONOLOGUE,
            MONOLOGUE_WARN_S,
            ""
            if mono_i is None
            else (f"starts at turn {mono_i}; " + ("over 2 minutes" if mono > MONOLOGUE_WARN_S else "under 2 minutes")),
        ),
        Metric(
            "talk_ratio",
            "Rep share of talk time",
            ratio,
            "fraction",
            "43% for the highest-converting reps; > 65% converts less",
            SRC_TALK,
            TOP_TALK_RATIO,
            "" if ratio is None else f"{ratio:.0%} rep : {1 - ratio:.0%} buyer",
        ),
    )
    return DeliveryReport(metrics=metrics, fillers=fillers, pauses=tuple(pauses), rep_turns=len(rep_turns))
