"""Real-data check of the buyer-line reader on PersuasionForGood persuadee sentences.

    python bench/bench_buyer_pfg.py [--folder PATH] [--rules] [--half held-out|tuning|both] [--errors N]

Data: /work/shared/data/persuasionforgood-300/ (or $SPARRING_PFG_DIR): the 300 annotated
dialogues of Wang et al., "Persuasion for Good" (ACL 2019), Apache-2.0, not shipped. Every
persuadee (role 1) sentence is read with ``read_buyer`` and compared with labels mapped from its
annotated dialogue act. Figures are given per half of bench/real_outcomes.py's fixed split: the
HELD-OUT half (147 dialogues) is the reported figure, never trained or tuned on; the TUNING half is
what scripts/buyer_training.py learns from (its "train" part) and chooses settings on (its "dev"
part), so its figures are not a test. ``--errors`` shows tuning-half errors only. Skips with a
message when the folder is absent.

PFG acts are about donating to a charity and each sentence carries one act (rarely two), while our
labels are multi-label. So each act fixes only the labels it speaks for; the others are not scored
for that sentence (neither a hit nor a miss):

====================================================  ===========  ==================================
PFG act (ee_label_1 / ee_label_2)                      true          also scored false
====================================================  ===========  ==================================
agree-donation, confirm-donation,                      agrees        refuses
provide-donation-amount (an amount above zero)
disagree-donation, disagree-donation-more,             refuses       agrees
provide-donation-amount of zero ("$0", "nothing")
negative-reaction-to-donation                          objects       agrees
ask-org-info, ask-donation-procedure,                  asks          agrees, refuses
ask-persuader-donation-intention,
task-related-inquiry, personal-related-inquiry
positive-/negative-/neutral-to-inquiry (answers to     -             agrees, refuses
the persuader's questions: a factual yes/no is no
label by CONVENTIONS.md)
greeting, closing, thank, you-are-welcome,             -             agrees, refuses, objects, deflects
acknowledgement                                                      (asks not scored: "how are you?")
positive-reaction-to-donation                          -             refuses, objects
neutral-reaction-to-donation                           -             agrees, refuses
other, off-task                                        (not scored)
====================================================  ===========  ==================================

A positive reaction is scored as no objection: without it the only PFG lines scored "not objects" were
greetings and thanks, and a model learning from them read almost any substantive sentence as an
objection. Why not more: negative-to-inquiry is mostly "No, I haven't." (a factual answer, no label here, not an
objection); neutral-reaction-to-donation mixes hedges ("Maybe.") with objections and musings, so it is
not a deflection act. PFG has no act for deflecting, so ``deflects`` has no positives and no figure;
the table per act shows how often each label is read on each act instead (e.g. how often
neutral-reaction sentences are read as deflections).

``pfg_sentences`` is also used by scripts/train_understanding.py --buyer (scripts/buyer_training.py) to
learn from the tuning half's sentences.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding.buyer import read_buyer
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore

DEFAULT_FOLDER = Path(os.environ.get("SPARRING_PFG_DIR", "/work/shared/data/persuasionforgood-300"))

_AGREE_ACTS = {"agree-donation", "confirm-donation"}
_REFUSE_ACTS = {"disagree-donation", "disagree-donation-more"}
_ASK_ACTS = {"ask-org-info", "ask-donation-procedure", "ask-persuader-donation-intention", "task-related-inquiry",
             "personal-related-inquiry"}
_ANSWER_ACTS = {"positive-to-inquiry", "negative-to-inquiry", "neutral-to-inquiry"}
_SOCIAL_ACTS = {"greeting", "closing", "thank", "you-are-welcome", "acknowledgement"}
_ZERO = re.compile(r"(?:^|[^\d.])\$?0(?:\.0+)?(?!\.?\d)|\bnothing\b|\bzero\b|\bnone\b")


def act_labels(act: str, text: str) -> tuple[set[str], set[str]]:
    """(labels true, labels scored) for one PFG persuadee act; see the module docstring."""
    if act == "provide-donation-amount":
        act = "disagree-donation" if _ZERO.search(text.lower()) else "agree-donation"
    if act in _AGREE_ACTS:
        return {"agrees"}, {"agrees", "refuses"}
    if act in _REFUSE_ACTS:
        return {"refuses"}, {"refuses", "agrees"}
    if act == "negative-reaction-to-donation":
        return {"objects"}, {"objects", "agrees"}
    if act in _ASK_ACTS:
        return {"asks"}, {"asks", "agrees", "refuses"}
    if act in _ANSWER_ACTS or act == "neutral-reaction-to-donation":
        return set(), {"agrees", "refuses"}
    if act in _SOCIAL_ACTS:
        return set(), {"agrees", "refuses", "objects", "deflects"}
    if act == "positive-reaction-to-donation":
        return set(), {"refuses", "objects"}
    return set(), set()


def pfg_sentences(folder: Path = DEFAULT_FOLDER) -> list[dict[str, Any]]:
    """Every persuadee sentence with its act(s), mapped labels and the labels scored. [] when absent."""
    path = folder / "dialogs.csv"
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    rep_turn: list[str] = []  # the persuader's latest turn (its sentences): the line the persuadee answers
    last: tuple[str, str] = ("", "")
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if row["dialogue_id"] != last[0]:
                rep_turn = []
            if row["role"] == "0" and row["text"].strip():
                if last != (row["dialogue_id"], "0"):
                    rep_turn = []
                rep_turn.append(" ".join(row["text"].split()))
            last = (row["dialogue_id"], row["role"])
            if row["role"] != "1" or not row["text"].strip():
                continue
            acts = [a for a in (row["ee_label_1"], row["ee_label_2"]) if a]
            true: set[str] = set()
            scored: set[str] = set()
            for act in acts:
                t, s = act_labels(act, row["text"])
                true |= t
                scored |= s
            scored |= true
            out.append({"id": f"pfg-{row['dialogue_id']}-{number}", "dialogue_id": row["dialogue_id"],
                        "text": row["text"].strip(), "acts": acts,
                        "context": {"previous_rep_line": " ".join(rep_turn)},
                        "labels": {name: name in true for name in BUYER_LABELS}, "scored": scored})
    return out


def half_of(dialogue_id: str) -> str:
    """bench/real_outcomes.py's fixed split: 'held-out' when sha256(id) is odd, else 'tuning'."""
    return "held-out" if int(hashlib.sha256(dialogue_id.encode("utf-8")).hexdigest(), 16) % 2 == 1 else "tuning"


def score(items: list[dict[str, Any]], rules_only: bool = False) -> tuple[
        dict[str, LabelScore], dict[str, Counter[str]], dict[str, list[str]], list[float]]:
    """Per-label scores, per-act label shares, errors per label and seconds per sentence."""
    scores = {name: LabelScore() for name in BUYER_LABELS}
    per_act: dict[str, Counter[str]] = defaultdict(Counter)
    errors: dict[str, list[str]] = defaultdict(list)
    times: list[float] = []
    for item in items:
        start = time.perf_counter()
        reading = read_buyer(item["text"], use_models=not rules_only,
                             previous_rep_line=item["context"]["previous_rep_line"])
        times.append(time.perf_counter() - start)
        act = item["acts"][0]
        per_act[act]["n"] += 1
        for name in BUYER_LABELS:
            got = reading.labels[name]
            per_act[act][name] += int(got)
            if name in item["scored"]:
                truth = item["labels"][name]
                scores[name].add(truth, got)
                if truth != got:
                    acts = "/".join(item["acts"])
                    errors[name].append(f"{'+' if got else '-'}{name} [{acts}] {item['text'][:110]!r}")
    return scores, per_act, errors, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--rules", action="store_true", help="rules alone, no learned models")
    parser.add_argument("--half", choices=["held-out", "tuning", "both"], default="both")
    parser.add_argument("--errors", type=int, default=0,
                        help="print this many misread tuning-half sentences per label (held-out errors are not shown)")
    args = parser.parse_args()
    items = pfg_sentences(args.folder)
    if not items:
        print(f"SKIP: PersuasionForGood data not found at {args.folder} (dialogs.csv); set SPARRING_PFG_DIR "
              f"or --folder. Nothing measured.")
        return
    for half in ("held-out", "tuning") if args.half == "both" else (args.half,):
        part = [i for i in items if half_of(i["dialogue_id"]) == half]
        scores, per_act, errors, times = score(part, args.rules)
        dialogues = len({i["dialogue_id"] for i in part})
        what = "the reported figure" if half == "held-out" else "trained and tuned on: not a test"
        print(f"PersuasionForGood, {half} half ({what}): {len(part)} persuadee sentences in {dialogues} dialogues "
              f"({'rules' if args.rules else 'rules + learned models'})")
        print(f"  {'label':9s} {'scored':>6s} {'n':>5s} {'P':>6s} {'R':>6s} {'F1':>6s}")
        for name, s in scores.items():
            scored = s.tp + s.fp + s.fn + s.tn
            if s.support == 0:
                print(f"  {name:9s} {scored:6d} {0:5d}      -      -      -   (no PFG act maps to it; "
                      f"read on {s.fp} sentences)")
                continue
            print(f"  {name:9s} {scored:6d} {s.support:5d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}")
        print("\n  share of each act's sentences read with each label:")
        print(f"  {'act':36s} {'n':>5s} " + " ".join(f"{n[:7]:>7s}" for n in BUYER_LABELS))
        for act, counts in sorted(per_act.items(), key=lambda kv: -kv[1]["n"]):
            n = counts["n"]
            print(f"  {act:36s} {n:5d} " + " ".join(f"{counts[name] / n:7.2f}" for name in BUYER_LABELS))
        times.sort()
        print(f"\n  time per sentence: median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms\n")
        if half == "tuning":
            for name in BUYER_LABELS:
                for line in errors[name][: args.errors]:
                    print("  ", line)


if __name__ == "__main__":
    main()
