"""Do grades move with real outcomes? Spearman ρ between the grader's scores and what persuadees gave.

    python bench/real_outcomes.py [--data PATH] [--half held-out|tuning|both] [--json FILE]
                                  [--resamples N] [--seed N] [--diagnose] [--limit N]

Data: PersuasionForGood, the 300 annotated dialogues of Wang et al., "Persuasion for Good" (ACL 2019),
Apache-2.0, NOT shipped with the product. Found at ``--data``, else ``$SPARRING_PFG_DIR``, else
``../shared/data/persuasionforgood-300`` beside the repository. When absent the script prints a SKIP
line and exits 0 (nothing measured).

Each dialogue becomes a real-call transcript, one "Speaker: text" line per turn (the sentences of one
role's turn joined with spaces): ``Persuader:`` (role 0) is the rep, ``Persuadee:`` (role 1) the
buyer. It is graded in this process by the real grader as a real call: ``parse_transcript(text,
rep="Persuader")``, ``to_records``, ``grade_session(scenario=None, persona=None, outcome=None,
llm=None)`` (rules, no judge; the same scores as ``sparring grade FILE --rep Persuader --llm template``).
The annotations (strategies, acts, sentiment) are never shown to the grader.

Outcome: the persuadee's ``actual_donation`` (participants.csv, role 1; 0 to 2 dollars, a few typed
more). Half of the persuadees gave nothing, so ranks are heavily tied; ties get their average rank.

Figures: Spearman ρ with a 95% percentile bootstrap CI (``--resamples`` resamples of the dialogues,
default 2,000, fixed ``--seed``; no CI when over 5% of the resamples are constant, as for a check
that almost always passes) between the donation and: the overall score; each competency score
(a competency not scored on a dialogue is left out of that competency's ρ, the count is shown); and
trivial baselines: transcript turns, rep words, persuadee words, and whether the persuadee says
"I will donate" / "I'll donate". ``--diagnose`` adds every check (pass = 1), the persuadee's
annotated acts and the persuader's annotated strategies (PFG's labels, an upper reference the
grader cannot see), and candidate closing features read from the text alone.

Split (fixed, documented): a dialogue is in the HELD-OUT half when
``int(sha256(dialogue_id.encode("utf-8")).hexdigest(), 16) % 2 == 1``, else in the TUNING half
(147 held-out and 153 tuning dialogues of the 300). Tune the grader by looking at the tuning half;
the targets are judged on the held-out half. tests/grader/test_real_outcomes.py asserts them.

Targets (on the held-out half): closing_next_steps ρ ≥ 0.25; overall ρ ≥ 0.15 with the CI's lower
bound above 0; overall ρ above |ρ| of rep words (more signal than length alone).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grading.grader import grade_session  # noqa: E402
from grading.scorecard import Scorecard  # noqa: E402
from grading.transcript import parse_transcript, to_records  # noqa: E402
from simulator.content.competencies import COMPETENCY_IDS  # noqa: E402

try:
    from scipy.stats import rankdata as _scipy_rankdata
except ImportError:  # pragma: no cover - scipy is optional
    _scipy_rankdata = None

REP, BUYER = "Persuader", "Persuadee"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "persuasionforgood-300"
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20190719
HALVES = ("held-out", "tuning")

COMPETENCIES = COMPETENCY_IDS
"""Fallback order; the rubric's own order is used when it loads."""

TARGETS = {
    "closing_rho_min": 0.25,
    "overall_rho_min": 0.15,
    "overall_ci_low_above": 0.0,
}

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_WILL_DONATE = re.compile(r"\bi\s*(?:will|['’]ll)\s+donate\b", re.IGNORECASE)
_DONATE_ASK = re.compile(r"\b(?:donat\w*|give|giving|contribut\w*|chip in|pledge)\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"\$\s*\.?\d|\b\d+(?:\.\d+)?\s*(?:cents?|dollars?|c)\b|\b(?:all|half|whole)\b.*\b(?:payment|bonus|"
    r"earnings)\b|\b(?:one|two|fifty|twenty|ten|five|a)\s+(?:cents?|dollars?)\b",
    re.IGNORECASE,
)
_ZERO_AMOUNT = re.compile(r"\$\s*0(?:\.0+)?(?![\d.])|\b0\s*(?:cents?|dollars?)\b|\bnothing\b|\bzero\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------- data


@dataclass
class Dialogue:
    """One PFG dialogue as turns, with the outcome and (for --diagnose only) its annotations."""

    id: str
    donation: float
    intended: float | None
    turns: list[tuple[str, str]] = field(default_factory=list)
    """(speaker, text): REP or BUYER, the sentences of one role's turn joined."""
    acts: list[set[str]] = field(default_factory=list)
    """Per turn: the annotated persuader strategies (rep turns) or persuadee acts (buyer turns)."""

    @property
    def half(self) -> str:
        return half_of(self.id)

    def transcript(self) -> str:
        return "\n".join(f"{speaker}: {text}" for speaker, text in self.turns)


def half_of(dialogue_id: str) -> str:
    """The fixed split: 'held-out' when sha256(id) is odd, else 'tuning'."""
    return "held-out" if int(hashlib.sha256(dialogue_id.encode("utf-8")).hexdigest(), 16) % 2 == 1 else "tuning"


def data_folder(given: Path | str | None = None) -> Path:
    """--data, else $SPARRING_PFG_DIR, else ../shared/data/persuasionforgood-300 beside the repo."""
    if given:
        return Path(given)
    env = os.environ.get("SPARRING_PFG_DIR")
    return Path(env) if env else DEFAULT_DATA


def data_present(folder: Path) -> bool:
    return (folder / "dialogs.csv").is_file() and (folder / "participants.csv").is_file()


def _number(value: str) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def load_dialogues(folder: Path) -> list[Dialogue]:
    """Every dialogue with a persuadee's actual donation, in file order. [] when the data is absent."""
    if not data_present(folder):
        return []
    outcomes: dict[str, tuple[float, float | None]] = {}
    with (folder / "participants.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] != "1":
                continue
            donation = _number(row["actual_donation"])
            if donation is not None:
                outcomes[row["dialogue_id"]] = (donation, _number(row["intended_donation"]))
    dialogues: dict[str, Dialogue] = {}
    last: dict[str, tuple[str, str]] = {}
    pieces: dict[str, list[list[str]]] = {}
    with (folder / "dialogs.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            did = row["dialogue_id"]
            if did not in outcomes:
                continue
            text = " ".join(row["text"].split())
            if not text:
                continue
            d = dialogues.get(did)
            if d is None:
                d = dialogues[did] = Dialogue(did, *outcomes[did])
                pieces[did] = []
            key = (row["turn"], row["role"])
            labels = {row[c] for c in ("er_label_1", "er_label_2", "ee_label_1", "ee_label_2") if row.get(c)}
            if last.get(did) == key:
                pieces[did][-1].append(text)
                d.acts[-1] |= labels
            else:
                last[did] = key
                pieces[did].append([text])
                d.turns.append((REP if row["role"] == "0" else BUYER, ""))
                d.acts.append(set(labels))
    for did, d in dialogues.items():
        d.turns = [(speaker, " ".join(parts)) for (speaker, _), parts in zip(d.turns, pieces[did], strict=True)]
    return [d for d in dialogues.values() if any(s == REP for s, _ in d.turns) and any(s == BUYER for s, _ in d.turns)]


# ------------------------------------------------------------------------------------------ grading


def competency_order() -> tuple[str, ...]:
    try:
        from grading.rubric import load_rubric

        return tuple(c.id for c in load_rubric(None).competencies)
    except Exception:  # the rubric is being rewritten; the table falls back to the known ids
        return COMPETENCIES


def grade_dialogue(d: Dialogue) -> Scorecard:
    """The real grader on the dialogue as a real call (no scenario, no LLM)."""
    records = to_records(parse_transcript(d.transcript(), rep=REP))
    return grade_session(records, scenario=None, persona=None, outcome=None, llm=None)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def baseline_features(d: Dialogue) -> dict[str, float]:
    rep = [t for s, t in d.turns if s == REP]
    buyer = [t for s, t in d.turns if s == BUYER]
    return {
        "turns": float(len(d.turns)),
        "rep_words": float(sum(map(_words, rep))),
        "persuadee_words": float(sum(map(_words, buyer))),
        "says_will_donate": float(any(_WILL_DONATE.search(t) for t in buyer)),
    }


def card_features(card: Scorecard, competencies: Iterable[str]) -> tuple[dict[str, float | None], dict[str, float]]:
    """(overall + competency scores, None when not scored) and (every check of the scored ones, 1/0)."""
    scores: dict[str, float | None] = {"overall": float(card.overall)}
    checks: dict[str, float] = {}
    by_id = {c.id: c for c in card.competencies}
    for cid in competencies:
        c = by_id.get(cid)
        scores[cid] = float(c.score) if c is not None else None
        for ch in c.checks if c is not None else []:
            checks[f"{cid}.{ch.id}"] = float(ch.passed)
    return scores, checks


def grade_all(
    dialogues: list[Dialogue], progress: Callable[[str], None] | None = None, every: int = 25
) -> list[dict[str, Any]]:
    """Grade every dialogue once. Each row: id, half, donation, scores, checks, baselines, errors."""
    competencies = competency_order()
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for i, d in enumerate(dialogues, 1):
        row: dict[str, Any] = {"id": d.id, "half": d.half, "donation": d.donation, "baselines": baseline_features(d)}
        try:
            card = grade_dialogue(d)
        except Exception as exc:  # a grader crash on real text is a finding, not a reason to stop
            row.update(
                scores=dict.fromkeys(("overall", *competencies)), checks={}, error=f"{type(exc).__name__}: {exc}"
            )
        else:
            row["scores"], row["checks"] = card_features(card, competencies)
            row["not_scored"] = {n.id: n.reason for n in card.not_scored}
        rows.append(row)
        if progress is not None and (i % every == 0 or i == len(dialogues)):
            elapsed = time.perf_counter() - start
            progress(f"graded {i}/{len(dialogues)} dialogues ({elapsed:.1f} s, {elapsed / i * 1000:.0f} ms each)")
    return rows


# ---------------------------------------------------------------------------------------- statistics


def _rank_rows(a: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, ties averaged (scipy when installed, else numpy)."""
    if _scipy_rankdata is not None:
        return np.asarray(_scipy_rankdata(a, axis=-1), dtype=float)
    a2 = np.atleast_2d(a)
    out = np.empty(a2.shape, dtype=float)
    for r, row in enumerate(a2):
        order = np.argsort(row, kind="mergesort")
        ordered = row[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(row)]
        average = (starts + ends + 1) / 2.0  # 1-based ranks start+1 .. end, averaged
        out[r, order] = np.repeat(average, ends - starts)
    return out.reshape(a.shape)


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (xc * yc).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def spearman(x: Iterable[float], y: Iterable[float]) -> float:
    """Spearman ρ (Pearson correlation of average ranks); nan when either side is constant."""
    xa, ya = np.asarray(list(x), dtype=float), np.asarray(list(y), dtype=float)
    return float(_pearson_rows(_rank_rows(xa), _rank_rows(ya)))


def bootstrap_spearman(
    x: Iterable[float], y: Iterable[float], resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """ρ and a 95% percentile bootstrap CI over resampled pairs (fixed seed: same data → same CI)."""
    xa, ya = np.asarray(list(x), dtype=float), np.asarray(list(y), dtype=float)
    n = len(xa)
    out: dict[str, Any] = {"n": n, "rho": None, "ci": [None, None], "resamples": resamples}
    if n < 3:
        return out
    rho = spearman(xa, ya)
    if math.isnan(rho):
        out["note"] = "constant on these dialogues"
        return out
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    boot = _pearson_rows(_rank_rows(xa[idx]), _rank_rows(ya[idx]))
    valid = boot[~np.isnan(boot)]
    out["rho"] = round(rho, 4)
    out["resamples_used"] = len(valid)
    if len(valid) >= 0.95 * resamples:
        low, high = np.percentile(valid, [2.5, 97.5])
        out["ci"] = [round(float(low), 4), round(float(high), 4)]
    else:  # a rare value drops out of many resamples: the surviving ones would give a biased interval
        out["note"] = f"nearly constant: {resamples - len(valid)} resamples constant, no CI"
    return out


def field_of(section: str, key: str) -> Callable[[dict[str, Any]], float | None]:
    """A getter of row[section][key] (None when missing: not scored)."""

    def get(row: dict[str, Any]) -> float | None:
        value = row[section].get(key)
        return None if value is None else float(value)

    return get


def correlate(
    rows: list[dict[str, Any]], getter: Callable[[dict[str, Any]], float | None], resamples: int, seed: int
) -> dict[str, Any]:
    pairs = [(v, r["donation"]) for r in rows if (v := getter(r)) is not None]
    result = bootstrap_spearman([p[0] for p in pairs], [p[1] for p in pairs], resamples, seed)
    result["excluded"] = len(rows) - len(pairs)
    if pairs:
        result["mean"] = round(float(np.mean([p[0] for p in pairs])), 3)
    return result


# ------------------------------------------------------------------------------------------- study


BASELINES = ("turns", "rep_words", "persuadee_words", "says_will_donate")


def study(
    rows: list[dict[str, Any]], resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, checks: bool = False
) -> dict[str, Any]:
    """ρ (with CI) of overall, each competency, the baselines (and, with checks=True, every check)."""
    graded = [r for r in rows if "error" not in r]
    competencies = competency_order()
    out: dict[str, Any] = {
        "dialogues": len(rows),
        "grader_errors": [{"id": r["id"], "error": r["error"]} for r in rows if "error" in r],
        "donated": sum(r["donation"] > 0 for r in graded),
        "overall": correlate(graded, field_of("scores", "overall"), resamples, seed),
        "competencies": {c: correlate(graded, field_of("scores", c), resamples, seed) for c in competencies},
        "baselines": {b: correlate(graded, field_of("baselines", b), resamples, seed) for b in BASELINES},
    }
    reasons: dict[str, Counter[str]] = {c: Counter() for c in competencies}
    for r in graded:
        for cid, why in r.get("not_scored", {}).items():
            if cid in reasons:
                reasons[cid][why] += 1
    for c in competencies:
        if reasons[c]:
            out["competencies"][c]["not_scored_reasons"] = dict(reasons[c].most_common(3))
    if checks:
        names = sorted(
            {k for r in graded for k in r["checks"]},
            key=lambda k: (competencies.index(k.split(".")[0]) if k.split(".")[0] in competencies else 99, k),
        )
        out["checks"] = {k: correlate(graded, field_of("checks", k), resamples, seed) for k in names}
        for k in names:
            out["checks"][k]["pass_rate"] = out["checks"][k].pop("mean", None)
    return out


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets, judged on one half's figures."""
    closing = result["competencies"].get("closing_next_steps", {}).get("rho")
    overall = result["overall"]
    rep_words = result["baselines"]["rep_words"]["rho"]
    low = overall["ci"][0]
    return {
        "closing_rho": {
            "want": f">= {TARGETS['closing_rho_min']}",
            "got": closing,
            "met": closing is not None and closing >= TARGETS["closing_rho_min"],
        },
        "overall_rho": {
            "want": f">= {TARGETS['overall_rho_min']}",
            "got": overall["rho"],
            "met": overall["rho"] is not None and overall["rho"] >= TARGETS["overall_rho_min"],
        },
        "overall_ci_low": {
            "want": f"> {TARGETS['overall_ci_low_above']}",
            "got": low,
            "met": low is not None and low > TARGETS["overall_ci_low_above"],
        },
        "overall_beats_rep_words": {
            "want": "overall ρ > |ρ rep words|",
            "got": [overall["rho"], rep_words],
            "met": overall["rho"] is not None and rep_words is not None and overall["rho"] > abs(rep_words),
        },
    }


# ---------------------------------------------------------------------------------------- diagnose


_AGREE_ACTS = {"agree-donation", "confirm-donation"}
_REFUSE_ACTS = {"disagree-donation", "disagree-donation-more"}
_ASK_STRATEGIES = {"proposition-of-donation", "ask-donation-amount"}


def _act_stance(text: str, acts: set[str]) -> int:
    if "provide-donation-amount" in acts:
        return -1 if _ZERO_AMOUNT.search(text) else 1
    return 1 if acts & _AGREE_ACTS else -1 if acts & _REFUSE_ACTS else 0


def diagnostic_features(d: Dialogue, read: Callable[[str, str], dict[str, bool]] | None) -> dict[str, float | None]:
    """What in the persuadee's replies predicts donation: PFG's annotated acts (the grader cannot see
    them; an upper reference) and the same ideas read from the text alone (what a check could read)."""
    buyer_acts = [a for (s, _), a in zip(d.turns, d.acts, strict=True) if s == BUYER]
    rep_acts = [a for (s, _), a in zip(d.turns, d.acts, strict=True) if s == REP]
    amounts = [a for (s, _), a in zip(d.turns, d.acts, strict=True) if s == BUYER and "provide-donation-amount" in a]
    feats: dict[str, float | None] = {
        "act: agree-donation (any)": float(any(a & _AGREE_ACTS for a in buyer_acts)),
        "act: agree-donation (count)": float(sum(bool(a & _AGREE_ACTS) for a in buyer_acts)),
        "act: provide-donation-amount (any)": float(bool(amounts)),
        "act: disagree-donation (any)": float(any(a & _REFUSE_ACTS for a in buyer_acts)),
        "act: negative-reaction (count)": float(sum("negative-reaction-to-donation" in a for a in buyer_acts)),
        "act: positive-reaction (count)": float(sum("positive-reaction-to-donation" in a for a in buyer_acts)),
        "act: ask-donation-procedure (any)": float(any("ask-donation-procedure" in a for a in buyer_acts)),
        "intended donation (stated in chat)": d.intended,
        "strategy: asks for donation (count)": float(sum(bool(a & _ASK_STRATEGIES) for a in rep_acts)),
    }
    # The persuadee's donation stance per turn from the acts: agree / confirm / an amount above zero = +1,
    # disagree / an amount of zero = -1 (an amount of zero is a refusal, as in bench_buyer_pfg.py).
    stances = [_act_stance(t, a) for (s, t), a in zip(d.turns, d.acts, strict=True) if s == BUYER]
    said = [v for v in stances if v]
    feats["act: stance, agreed ever - refused ever"] = float((1 in said) - (-1 in said))
    feats["act: stance, first"] = float(said[0]) if said else 0.0
    feats["act: stance, last"] = float(said[-1]) if said else 0.0
    # Annotated close: the persuader's last ask (proposition / ask-amount) and the persuadee's next turn.
    ask_turns = [
        i for i, ((s, _), a) in enumerate(zip(d.turns, d.acts, strict=True)) if s == REP and a & _ASK_STRATEGIES
    ]
    answer = (
        next((i for i in range(ask_turns[-1] + 1, len(d.turns)) if d.turns[i][0] == BUYER), None) if ask_turns else None
    )
    feats["act: answer to last ask (+1/-1/0)"] = (
        None if answer is None else float(_act_stance(d.turns[answer][1], d.acts[answer]))
    )
    # Text alone (what a real-call check can read).
    buyer_texts = [t for s, t in d.turns if s == BUYER]
    named = [t for t in buyer_texts if _AMOUNT.search(t)]
    feats["text: persuadee names an amount"] = float(bool(named))
    feats["text: persuadee names an amount > 0"] = float(any(not _ZERO_AMOUNT.search(t) for t in named))
    asks = [i for i, (s, t) in enumerate(d.turns) if s == REP and "?" in t and _DONATE_ASK.search(t)]
    feats["text: rep asks for a donation (turns)"] = float(len(asks))
    if read is not None:
        readings = [(i, read(t, d.turns[i - 1][1] if i > 0 and d.turns[i - 1][0] == REP else ""))
                    for i, (s, t) in enumerate(d.turns) if s == BUYER]
        feats["read_buyer: lines read agrees"] = float(sum(r["agrees"] for _, r in readings))
        feats["read_buyer: lines read refuses"] = float(sum(r["refuses"] for _, r in readings))
        feats["read_buyer: lines read objects"] = float(sum(r["objects"] for _, r in readings))
        feats["read_buyer: agrees minus refuses"] = float(sum(r["agrees"] - r["refuses"] for _, r in readings))
        after = [r for i, r in readings if asks and i > asks[-1]]
        feats["read_buyer: answer to last ask (+1/-1/0)"] = (
            None
            if not asks
            else 0.0
            if not after
            else 1.0
            if after[0]["agrees"] and not after[0]["refuses"]
            else -1.0
            if after[0]["refuses"]
            else 0.0
        )
        state = 0.0
        for _, r in readings:
            if r["agrees"] != r["refuses"]:
                state = 1.0 if r["agrees"] else -1.0
        feats["read_buyer: last agree/refuse (+1/-1/0)"] = state
    return feats


def diagnose(
    dialogues: list[Dialogue],
    resamples: int,
    seed: int,
    use_reader: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    read: Callable[[str, str], dict[str, bool]] | None = None
    if use_reader:
        try:
            from simulator.understanding.buyer import read_buyer

            def read(text: str, previous_rep_line: str) -> dict[str, bool]:
                return dict(read_buyer(text, previous_rep_line=previous_rep_line).labels)
        except Exception as exc:  # being rewritten; the annotated figures stand without it
            if progress:
                progress(f"read_buyer unavailable ({type(exc).__name__}: {exc}); text-read features skipped")
    rows: list[dict[str, Any]] = [
        {"id": d.id, "half": d.half, "donation": d.donation, "diag": diagnostic_features(d, read)} for d in dialogues
    ]
    out: dict[str, dict[str, Any]] = {}
    for half in HALVES:
        part = [r for r in rows if r["half"] == half]
        if part:
            names = list(part[0]["diag"])
            out[half] = {k: correlate(part, field_of("diag", k), resamples, seed) for k in names}
    return out


# ------------------------------------------------------------------------------------------- output


def _fmt(res: dict[str, Any] | None) -> str:
    if not res or res.get("rho") is None:
        note = (res or {}).get("note", "n/a")
        return f"{'n=' + str((res or {}).get('n', 0)):>6s} {note:>22s}"
    low, high = res["ci"]
    ci = f"[{low:+.2f}, {high:+.2f}]" if low is not None else "[  n/a  ]"
    mark = "*" if low is not None and (low > 0 or high < 0) else " "
    return f"n={res['n']:<4d} {res['rho']:+.3f}{mark} {ci:>16s}"


def table(results: dict[str, dict[str, Any]], section: str, names: Iterable[str], label: str = "") -> list[str]:
    halves = [h for h in HALVES if h in results]
    lines = []
    if label:
        lines.append(f"{label:46s} " + " ".join(f"{h + ' (ρ, 95% CI)':^30s}" for h in halves) + "  excluded")
    for name in names:
        cells = [results[h][section].get(name) if section else results[h].get(name) for h in halves]
        excl = "/".join(str((c or {}).get("excluded", 0)) for c in cells)
        extra = ""
        for c in cells:
            if c and c.get("pass_rate") is not None:
                extra += f" pass {c['pass_rate']:.0%}"
        lines.append(f"  {name:44s} " + " ".join(f"{_fmt(c):30s}" for c in cells) + f"  {excl}{extra}")
    return lines


def report(results: dict[str, dict[str, Any]], diag: dict[str, dict[str, Any]] | None, meta: dict[str, Any]) -> str:
    lines = [
        f"PersuasionForGood: {meta['dialogues']} dialogues from {meta['data']}",
        f"Spearman ρ with the persuadee's actual donation; 95% bootstrap CI ({meta['resamples']:,} resamples, "
        f"seed {meta['seed']}, ranks: {meta['ranks']}); * = CI excludes 0.",
        "Split: held-out when int(sha256(dialogue_id), 16) is odd, else tuning. Excluded = not scored "
        "(held-out/tuning).",
    ]
    for half in HALVES:
        if half in results:
            r = results[half]
            lines.append(
                f"  {half}: {r['dialogues']} dialogues, {r['donated']} donated > 0, "
                f"{len(r['grader_errors'])} grader errors"
            )
    lines.append("")
    lines += table(results, "", ["overall"], "score")
    lines += table(results, "competencies", list(next(iter(results.values()))["competencies"]))
    lines.append("")
    lines += table(results, "baselines", BASELINES, "trivial baseline")
    if all("checks" in r for r in results.values()):
        lines.append("")
        names = list(next(iter(results.values()))["checks"])
        lines += table(results, "checks", names, "check (pass = 1)")
    if diag:
        lines.append("")
        names = list(next(iter(diag.values())))
        halves = {h: {"d": v} for h, v in diag.items()}
        lines += table(halves, "d", names, "persuadee signal (not the grader)")
    for half in HALVES:
        if half in results:
            lines.append("")
            lines.append(f"targets on the {half} half:")
            for name, t in targets(results[half]).items():
                lines.append(f"  {'MET ' if t['met'] else 'MISS'} {name:26s} want {t['want']:24s} got {t['got']}")
    for half in HALVES:
        for err in results.get(half, {}).get("grader_errors", [])[:5]:
            lines.append(f"  grader error ({half}) {err['id']}: {err['error']}")
    return "\n".join(lines)


def run(
    folder: Path,
    halves: Iterable[str] = HALVES,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    checks: bool = False,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Load, grade and correlate. Returns {"meta", "halves": {half: study}}; {} when the data is absent."""
    dialogues = [d for d in load_dialogues(folder) if d.half in set(halves)]
    if not dialogues:
        return {}
    if limit:
        dialogues = dialogues[:limit]
    if rows is None:
        rows = grade_all(dialogues, progress)
    results = {
        h: study([r for r in rows if r["half"] == h], resamples, seed, checks)
        for h in HALVES
        if any(r["half"] == h for r in rows)
    }
    meta = {
        "data": str(folder),
        "dialogues": len(rows),
        "resamples": resamples,
        "seed": seed,
        "ranks": "scipy.stats.rankdata" if _scipy_rankdata is not None else "numpy (ties averaged)",
        "split": "held-out when int(sha256(dialogue_id.encode()).hexdigest(), 16) % 2 == 1",
        "targets": TARGETS,
        "transcript": f"'{REP}: …' (role 0, the rep) / '{BUYER}: …' (role 1), one line per turn",
        "grader": "grade_session(scenario=None, persona=None, outcome=None, llm=None)",
    }
    return {"meta": meta, "halves": results, "rows": rows, "dialogues": dialogues}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help=f"the PFG folder (default {DEFAULT_DATA})")
    parser.add_argument("--half", choices=[*HALVES, "both"], default="both")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also ρ of every check, of PFG's annotated acts and of text-read closing features",
    )
    parser.add_argument("--no-reader", action="store_true", help="with --diagnose: skip read_buyer features")
    parser.add_argument("--limit", type=int, default=None, help="grade only the first N dialogues (quick look)")
    args = parser.parse_args(argv)
    if args.resamples < 1000:
        parser.error("--resamples must be at least 1000")
    folder = data_folder(args.data)
    if not data_present(folder):
        print(
            f"SKIP: PersuasionForGood data not found at {folder} (needs dialogs.csv and participants.csv); "
            f"pass --data PATH or set SPARRING_PFG_DIR. Nothing measured."
        )
        return 0
    halves = HALVES if args.half == "both" else (args.half,)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    start = time.perf_counter()
    out = run(folder, halves, args.resamples, args.seed, args.diagnose, args.limit, progress)
    if not out:
        print(f"SKIP: no dialogues with an outcome in {folder}. Nothing measured.")
        return 0
    diag = None
    if args.diagnose:
        progress("diagnose: persuadee acts and text-read features …")
        diag = diagnose(out["dialogues"], args.resamples, args.seed, not args.no_reader, progress)
    print(report(out["halves"], diag, out["meta"]))
    print(f"\n({time.perf_counter() - start:.1f} s)")
    if args.json:
        payload = {
            "meta": out["meta"],
            "halves": out["halves"],
            "targets": {h: targets(r) for h, r in out["halves"].items()},
            "diagnose": diag,
            "per_dialogue": [{k: v for k, v in r.items() if k != "checks"} for r in out["rows"]],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
