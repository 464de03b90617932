"""Does the embedded model earn its place? Adapted lines, leaks, rejections and latency, per voice mode.

Drives the scripted rep conversations in tests/data/rep_scripts/ (the lines of
``sparring selfplay --rep-script``) through :class:`simulator.session.PracticeService`
with the embedded model, and prints:

  adapted        share of spoken buyer lines that are not the director's gist (after lower-casing and
                 dropping punctuation), and how many of those kept the model's whole line vs only its
                 checked opening reaction followed by the gist
  rejections     model lines not spoken whole, by the acceptance check's reason
  leaks          spoken lines that leak, by the independent audit (simulator/engine/audit.py: seller or
                 assistant voice, a locked fact's distinctive words or numbers, a missing required value)
                 plus refusals found by this script's own phrase list
  latency        time from send() to the first shown token and to the final line, median and p90,
                 from the rep's second message on; and the model's own first token (before the check)

Splits: the drills are divided in two halves (DEV for tuning the prompt and the check, HELD_OUT for
the final figure); ``--split all`` runs both. ``--think-s`` waits between turns like a rep typing
(the background prefill uses that time); ``--no-prefill`` turns the prefill off for a before/after.
Other processes on the machine inflate the timings: the load average is printed with them.
Run: python bench/bench_voice_adaptation.py [--split dev|held-out|all] [--mode adapt|compose|gist]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.audit import LeakReport, audit_transcript
from simulator.engine.selfplay_report import read_rep_script
from simulator.llm.base import ChatRequest
from simulator.llm.embedded import EmbeddedLLM
from simulator.session import PracticeService

SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "rep_scripts"
DEV = ("saas-discovery-ops", "healthcare-discovery-it", "finserv-objection-champion",
       "logistics-negotiation-procurement", "retail-negotiation-owner")
HELD_OUT = ("finserv-discovery-gatekeeper", "saas-objection-vp-sales", "logistics-objection-price",
            "manufacturing-negotiation-renewal")
REFUSALS = re.compile(r"\b(?:i'?m sorry|i apologi[sz]e|i can(?:'|no)t (?:assist|help)|as an ai|language model)\b",
                      re.IGNORECASE)


def plain(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: 'adapted' means this differs from the gist's."""
    return " ".join(re.sub(r"[^\w$%]+", " ", text.lower().replace("’", "'")).split())


class Timed(EmbeddedLLM):
    """The embedded backend, noting when each buyer-line stream yields its first chunk."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.first_chunk_at: float | None = None

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        first = True
        for chunk in super().stream_chat(request):
            if first:
                self.first_chunk_at = time.perf_counter()
                first = False
            yield chunk


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run(args: argparse.Namespace) -> None:
    drills = {"dev": DEV, "held-out": HELD_OUT, "all": DEV + HELD_OUT}[args.split]
    library = load_library()
    tmp = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    settings = Settings(llm="embedded", data_dir=tmp, voice_mode=args.mode, prefill=not args.no_prefill,
                        reply_deadline_s=args.deadline_s)
    llm = Timed(settings)
    llm.load()
    report = LeakReport()
    refusals: list[str] = []
    director_misses: list[str] = []
    """Required values the director's own gist lacks (the gist would miss them too): not the voice's leak."""
    voice_misses: list[str] = []
    """Required values the gist has and the spoken line lost."""
    reasons: Counter[str] = Counter()
    lines = adapted = salvaged = model_whole = 0
    shown_ttft: list[float] = []
    model_ttft: list[float] = []
    arms: dict[bool, list[tuple[float, float | None]]] = {True: [], False: []}
    """--compare-prefill: (first shown token, model's first token) of turns whose prefix was / was not prefilled."""
    full: list[float] = []
    examples: list[tuple[str, str, str]] = []
    loads: list[float] = []
    with PracticeService.open(settings, llm=llm) as svc:
        for drill in drills:
            for path in sorted((SCRIPTS_DIR / drill).glob("*.txt"))[: args.scripts_per_drill]:
                rep_lines = read_rep_script(path)
                events = svc.start(drill, difficulty="medium")
                sid = next(events)["session_id"]
                list(events)
                prefilled = svc.settings.prefill
                for i, text in enumerate(rep_lines):
                    if not svc.get(sid).waiting_for_rep:
                        break
                    if args.compare_prefill:  # this send decides whether the NEXT turn's prefix is prefilled
                        svc.settings.prefill = i % 2 == 1
                    if args.think_s:
                        time.sleep(args.think_s)
                    llm.first_chunk_at = None
                    t0 = time.perf_counter()
                    first = done = None
                    for e in svc.send(sid, text):
                        if e["type"] == "token" and first is None:
                            first = time.perf_counter() - t0
                        elif e["type"] == "line":
                            done = time.perf_counter() - t0
                    if i >= 1 and done is not None:
                        shown_ttft.append(first if first is not None else done)
                        full.append(done)
                        if llm.first_chunk_at is not None:
                            model_ttft.append(llm.first_chunk_at - t0)
                        arms[prefilled].append((first if first is not None else done,
                                                llm.first_chunk_at - t0 if llm.first_chunk_at else None))
                        loads.append(os.getloadavg()[0])
                    prefilled = svc.settings.prefill
                view = svc.get(sid)
                persona = library.persona(view.record.persona_id)
                audit_transcript(view.transcript, persona, report)
                for t in view.transcript:
                    if t["speaker"] != "buyer" or t["move"] is None:
                        continue
                    lines += 1
                    gist = t["move"]["gist"]
                    if any(v in gist and v not in t["text"] for v in t["move"]["required"]):
                        voice_misses.append(f"{drill} turn {t['index']}: {t['text']!r}")
                    if any(v not in gist for v in t["move"]["required"]):
                        director_misses.append(f"{drill} turn {t['index']}: gist {gist!r} lacks one of "
                                               f"{t['move']['required']}")
                    if REFUSALS.search(t["text"]) and not REFUSALS.search(gist):
                        refusals.append(t["text"])
                    if plain(t["text"]) != plain(gist):
                        adapted += 1
                        if t["rejected"]:
                            salvaged += 1
                        else:
                            model_whole += 1
                        if len(examples) < args.show:
                            examples.append((view.transcript[t["index"] - 1]["text"] if t["index"] else "(opening)",
                                             gist, t["text"]))
                    if t["rejected"]:
                        key = t["rejected"]
                        key = key.split("rest replaced by the gist: ")[-1]
                        reasons[re.split(r"[:(]", key)[0].strip()] += 1
                        if args.verbose:
                            print(f"  REJECTED [{t['rejected']}]\n    gist: {gist}\n    model: {t['llm_line']!r}")
                print(f"{drill}/{path.name}: {sum(t['speaker'] == 'buyer' for t in view.transcript)} buyer lines",
                      flush=True)
    print()
    print(f"split: {args.split} ({', '.join(drills)}); mode: {args.mode}; prefill: {not args.no_prefill}; "
          f"think_s: {args.think_s}")
    print(f"buyer_lines: {lines}")
    print(f"adapted: {adapted} ({adapted / max(1, lines):.0%})  = model's whole line {model_whole} "
          f"+ model's reaction then the gist {salvaged}")
    print("rejections (model line not spoken whole): "
          + (", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "none"))
    for kind, found in report.leaks.items():
        print(f"leaks_{kind}: {len(found)}" + (f"  e.g. {found[0]}" if found else ""))
    print(f"leaks_refusal: {len(refusals)}" + (f"  e.g. {refusals[0]!r}" if refusals else ""))
    voice_leaks = (sum(len(report.leaks[k]) for k in ("speaks_as_seller", "speaks_as_assistant", "reveals_locked_fact"))
                   + len(voice_misses) + len(refusals))
    print(f"leaks_total (audit): {report.total_leaks + len(refusals)}; lines whose gist itself lacks a required "
          f"value (a director inconsistency): {len(director_misses)}")
    print(f"leaks added by the voice: {voice_leaks}  (target 0)")
    for miss in director_misses:
        print(f"  director: {miss}")
    print(f"first_shown_token_s (turn 2 on): median {statistics.median(shown_ttft):.2f}, p90 {pct(shown_ttft, 0.9):.2f}"
          f"  (n={len(shown_ttft)})")
    if model_ttft:
        print(f"model_first_token_s (turn 2 on): median {statistics.median(model_ttft):.2f}, "
              f"p90 {pct(model_ttft, 0.9):.2f}")
    print(f"full_reply_s (turn 2 on): median {statistics.median(full):.2f}, p90 {pct(full, 0.9):.2f}")
    print(f"load average during the turns: median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    if args.compare_prefill:
        for arm in (False, True):
            shown = [a for a, _ in arms[arm]]
            model = [b for _, b in arms[arm] if b is not None]
            print(f"prefill {'on ' if arm else 'off'}: first shown token median {statistics.median(shown):.2f} "
                  f"p90 {pct(shown, 0.9):.2f}; model first token median "
                  f"{statistics.median(model) if model else float('nan'):.2f} (n={len(shown)})")
    for rep, gist, said in examples:
        print(f"\n  rep:   {rep}\n  gist:  {gist}\n  said:  {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "held-out", "all"), default="dev")
    parser.add_argument("--mode", choices=("auto", "gist", "adapt", "compose"), default="adapt")
    parser.add_argument("--scripts-per-drill", type=int, default=6)
    parser.add_argument("--think-s", type=float, default=0.0, help="pause before each rep line (a rep typing)")
    parser.add_argument("--no-prefill", action="store_true")
    parser.add_argument("--compare-prefill", action="store_true",
                        help="alternate prefill off/on turn by turn in the same sessions and report both")
    parser.add_argument("--deadline-s", type=float, default=20.0)
    parser.add_argument("--show", type=int, default=12, help="print this many adapted lines")
    parser.add_argument("--verbose", action="store_true", help="print every rejected model line")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
