"""Understanding bench: per-label precision / recall / F1 on the held-out TEST split, and speed.

    python bench/bench_understanding.py [--split test|dev] [--errors N]

Reports the rules alone beside rules + learned models (the shipped reader), question-kind and
price-owner accuracy, the buyer-line labels, and the time to read one rep message (median, p95)
against the old word-list reader in the same run. The test split is read here and nowhere else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.understanding import corpus
from simulator.understanding.buyer import read_buyer
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore, Report, evaluate
from simulator.understanding.reader import read_rep

TARGETS = {"question_kind": 0.97, "boolean_f1": 0.93, "price_owner": 0.95, "buyer_f1": 0.90}


def _rep_report(items: list[dict[str, Any]], use_models: bool) -> Report:
    def read(item: dict[str, Any]) -> dict[str, Any]:
        return read_rep(item["text"], item["context"].get("list_price"), use_models=use_models,
                        previous_buyer_line=item["context"].get("previous_buyer_line") or "").as_json()

    return evaluate(items, read)


def _print_rep(title: str, report: Report) -> None:
    print(f"\n{title} ({report.n} utterances)")
    print(f"  {'label':18s} {'n':>4s} {'P':>6s} {'R':>6s} {'F1':>6s}")
    for name, support, p, r, f1 in report.rows():
        flag = "" if f1 >= TARGETS["boolean_f1"] else "  < target 0.93"
        print(f"  {name:18s} {support:4d} {p:6.3f} {r:6.3f} {f1:6.3f}{flag}")
    print(f"  question_kind accuracy {report.question_kind_accuracy:.3f} (target ≥ {TARGETS['question_kind']})")
    print(f"  price owner accuracy   {report.price_owner_accuracy:.3f} over {report.price_owner_total} amounts "
          f"(target ≥ {TARGETS['price_owner']})")
    hard = [e for e in report.errors]
    print(f"  utterances with any error: {len(hard)} of {report.n}")


def _buyer(items: list[dict[str, Any]]) -> None:
    scores = {name: LabelScore() for name in BUYER_LABELS}
    for item in items:
        reading = read_buyer(item["text"], previous_rep_line=(item.get("context") or {}).get("previous_rep_line") or "")
        for name in BUYER_LABELS:
            scores[name].add(bool(item["labels"][name]), reading.labels[name])
    print(f"\nbuyer lines ({len(items)})")
    for name, s in scores.items():
        flag = "" if s.f1 >= TARGETS["buyer_f1"] else "  < target 0.90"
        print(f"  {name:18s} {s.support:4d} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}{flag}")


def _latency(items: list[dict[str, Any]]) -> None:
    from simulator.engine import understand

    texts = [(u["text"], u["context"].get("list_price")) for u in items if u["text"].strip()][:300]
    read_rep("warm up the embedding model", None)

    def timed(fn: Any) -> list[float]:
        out = []
        for text, price in texts:
            t0 = time.perf_counter()
            fn(text, price)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    from simulator.understanding.embedding import shared_embedder

    shared_embedder()._cache.clear()
    ours = timed(lambda t, p: understand.analyse(t, understand.AnalysisContext(list_price=p)))
    rules = timed(lambda t, p: read_rep(t, p, use_models=False))
    p95 = statistics.quantiles(ours, n=20)[18]
    print(f"\nlatency per rep message over {len(texts)} corpus messages (cold cache, 1 ONNX thread):")
    print(f"  analyse() with learned models: median {statistics.median(ours):.2f} ms, p95 {p95:.2f} ms (target ≤ 15)")
    print(f"  rules alone:                   median {statistics.median(rules):.2f} ms, "
          f"p95 {statistics.quantiles(rules, n=20)[18]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--errors", type=int, default=0, help="print this many misread utterances")
    args = parser.parse_args()
    items = corpus.utterances(args.split)
    hard = [u for u in items if u.get("hard")]
    print(f"corpus: {len(corpus.utterances())} rep utterances, {args.split} split {len(items)} "
          f"({len(hard)} hard); buyer lines {len(corpus.buyer_lines())}")
    rules = _rep_report(items, use_models=False)
    shipped = _rep_report(items, use_models=True)
    _print_rep(f"{args.split} split, rules alone", rules)
    _print_rep(f"{args.split} split, rules + learned models (shipped)", shipped)
    _print_rep(f"{args.split} split, hard cases only, shipped", _rep_report(hard, use_models=True))
    for e in shipped.errors[: args.errors]:
        print("   ", e)
    _buyer(corpus.buyer_lines(args.split))
    _latency(items)


if __name__ == "__main__":
    main()
