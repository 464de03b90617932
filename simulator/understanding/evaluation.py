"""Precision, recall and F1 per label of the reader against a labelled corpus split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.understanding.definitions import BOOLEAN_LABELS


@dataclass
class LabelScore:
    """Counts and scores of one yes/no label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    """Per-label scores, question-kind and price-owner accuracy, and the misread items."""

    n: int = 0
    labels: dict[str, LabelScore] = field(default_factory=dict)
    question_kind_correct: int = 0
    price_owner_correct: int = 0
    price_owner_total: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def question_kind_accuracy(self) -> float:
        return self.question_kind_correct / self.n if self.n else 1.0

    @property
    def price_owner_accuracy(self) -> float:
        return self.price_owner_correct / self.price_owner_total if self.price_owner_total else 1.0

    def rows(self) -> list[tuple[str, int, float, float, float]]:
        return [(name, s.support, s.precision, s.recall, s.f1) for name, s in self.labels.items()]


def _owners_match(truth: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> tuple[int, int]:
    """Amounts whose value and owner both match, out of the labelled amounts."""
    remaining = list(predicted)
    correct = 0
    for t in truth:
        for p in remaining:
            if abs(float(p["value"]) - float(t["value"])) < 0.5:
                correct += p["owner"] == t["owner"]
                remaining.remove(p)
                break
    return correct, len(truth)


def evaluate(items: list[dict[str, Any]], read: Callable[[dict[str, Any]], dict[str, Any]]) -> Report:
    """Score ``read(item) -> predicted labels`` against each item's labels."""
    report = Report(labels={name: LabelScore() for name in (*BOOLEAN_LABELS, "next_step_timed")})
    for item in items:
        truth = item["labels"]
        predicted = read(item)
        report.n += 1
        wrong = []
        for name in BOOLEAN_LABELS:
            report.labels[name].add(bool(truth[name]), bool(predicted[name]))
            if bool(truth[name]) != bool(predicted[name]):
                wrong.append(f"{name}={predicted[name]}")
        timed_truth = bool(truth["next_step"] and truth["next_step_time"])
        timed_pred = bool(predicted["next_step"] and predicted["next_step_time"])
        report.labels["next_step_timed"].add(timed_truth, timed_pred)
        if timed_truth != timed_pred:
            wrong.append(f"next_step_time={predicted['next_step_time']!r}")
        if truth["question_kind"] == predicted["question_kind"]:
            report.question_kind_correct += 1
        else:
            wrong.append(f"question_kind={predicted['question_kind']} (truth {truth['question_kind']})")
        correct, total = _owners_match(truth.get("prices", []), predicted.get("prices", []))
        report.price_owner_correct += correct
        report.price_owner_total += total
        if correct < total:
            wrong.append(f"prices={predicted.get('prices')} (truth {truth.get('prices')})")
        if wrong:
            report.errors.append(f"{item['id']}: {item['text'][:100]!r} → " + ", ".join(wrong))
    return report
