"""Read one rep message: clean, segment, extract values, apply rules, then the learned models.

``read_rep`` is deterministic and needs no LLM. Every label keeps a reason a rep can read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from simulator.understanding import classifier
from simulator.understanding.definitions import (
    BOOLEAN_LABELS,
    MAX_ANALYSED_CHARS,
    PITCH_MIN_WORDS,
    PriceOwner,
    QuestionKind,
)
from simulator.understanding.embedding import shared_embedder
from simulator.understanding.ngrams import ngram_features
from simulator.understanding.questions import QuestionReading, read_questions
from simulator.understanding.rules import read_rules
from simulator.understanding.text import has_letters, language_of, normalise, sentences, visible_text, words_of
from simulator.understanding.times import concrete_time
from simulator.understanding.values import (
    Amount,
    amounts,
    comparable_value,
    discount_percents,
    owner_features,
    said_back,
)


@dataclass
class RepReading:
    """Everything the engine and the grader need to know about one rep message."""

    text: str
    visible: str
    language: str
    words: int
    sentences: list[str]
    questions: list[QuestionReading]
    question_kind: QuestionKind
    labels: dict[str, bool]
    next_step_time: str | None
    amounts: list[Amount]
    discount_pcts: list[float]
    reasons: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    rule_question_kind: QuestionKind = "none"
    features: np.ndarray | None = None

    @property
    def rep_prices(self) -> list[float]:
        return [a.value for a in self.amounts if a.owner == "rep"]

    def as_json(self) -> dict[str, Any]:
        """The `sparring understand` record."""
        return {
            "text": self.text,
            "question_kind": self.question_kind,
            "next_step": self.labels["next_step"],
            "next_step_time": self.next_step_time,
            "concession": self.labels["concession"],
            "asks_in_return": self.labels["asks_in_return"],
            "acknowledges": self.labels["acknowledges"],
            "is_pitch": self.labels["is_pitch"],
            "greeting": self.labels["greeting"],
            "thanks_or_goodbye": self.labels["thanks_or_goodbye"],
            "ends_call": self.labels["ends_call"],
            "prices": [{"value": a.value, "owner": a.owner} for a in self.amounts],
            "language": self.language,
            "reasons": self.reasons,
        }


def models_enabled() -> bool:
    """Learned models on unless SPARRING_UNDERSTANDING=rules (rules alone: faster, less accurate)."""
    return os.environ.get("SPARRING_UNDERSTANDING", "models").lower() != "rules"


def _empty(text: str, visible: str, language: str, reason: str) -> RepReading:
    return RepReading(text=text, visible=visible, language=language, words=len(words_of(normalise(visible))),
                      sentences=[], questions=[], question_kind="none",
                      labels=dict.fromkeys(BOOLEAN_LABELS, False), next_step_time=None, amounts=[],
                      discount_pcts=[], reasons=[reason])


def _proposal_time(parts: list[str], first: str | None) -> str | None:
    """The time in the sentence that proposes the next step (not a date in a recap before it)."""
    from simulator.understanding import phrases
    from simulator.understanding.rules import find_phrase

    for sentence in parts:
        low = normalise(sentence)
        found = concrete_time(sentence)
        if found and (find_phrase(low, phrases.PROPOSAL) or find_phrase(low, phrases.NEXT_STEP_NOUNS) or "?" in low):
            return found
    return first


def feature_vector(low: str, rule_features: list[float]) -> np.ndarray:
    """What the learned models see: the message's sentence embedding (one model run, at most
    ``embedding.MAX_TOKENS`` word pieces), the rule features and the hashed words.

    Per-sentence embeddings were tried (their element-wise maximum beside the whole message's): they did
    not raise dev F1 and doubled the embedding time of long turns (docs/understanding.md)."""
    return np.concatenate([shared_embedder().embed(low), np.array(rule_features), ngram_features(low)])


def read_rep(text: str, list_price: float | None = None, use_models: bool | None = None,
             keep_features: bool = False, previous_buyer_line: str = "") -> RepReading:
    """Label one rep message (``previous_buyer_line``: what the buyer said just before, if known). Pure and
    deterministic."""
    visible = visible_text(text[:MAX_ANALYSED_CHARS])
    if not visible.strip():
        return _empty(text, visible, "und", "empty message: nothing to read")
    if not has_letters(visible):
        return _empty(text, visible, "und", "no words (emoji or symbols only): nothing to read")
    language = language_of(visible)
    if language != "en":
        return _empty(text, visible, language, f"not English ({language}): the buyer did not understand")

    low = normalise(visible)
    parts = sentences(visible)
    questions = read_questions(parts)
    found = said_back(amounts(visible, list_price), visible_text(previous_buyer_line or ""), list_price)
    discounts = discount_percents(visible)
    time_phrase = concrete_time(visible)
    words = len(words_of(low))
    rules = read_rules(low, parts, questions, found, discounts, time_phrase, words, list_price,
                       normalise(visible_text(previous_buyer_line or "")))

    if any(q.kind == "open" for q in questions):
        kind: QuestionKind = "open"
    elif questions:
        kind = "closed"
    else:
        kind = "none"
    rule_kind = kind
    reasons = [f"{q.kind} question: {q.sentence.strip()[:80]!r} — {q.reason}" for q in questions]

    labels = dict(rules.labels)
    probabilities: dict[str, float] = {}
    models = classifier.shipped("rep") if (models_enabled() if use_models is None else use_models) else None
    x = feature_vector(low, rules.features) if (models is not None or keep_features) else None
    if models is not None and x is not None:
        for name in BOOLEAN_LABELS:
            model = models.binary.get(name)
            if model is None:
                continue
            p = model.probability(x)
            probabilities[name] = round(p, 3)
            decided = p >= model.threshold
            if name == "ends_call" and decided and not labels[name] and p < 0.5:
                decided = False  # ending the call on the model's word alone needs a clear majority
            if decided != labels[name]:
                rules.reasons[name] = (
                    f"{name}: the learned model reads it (p={p:.2f})" if decided
                    else f"{rules.reasons.get(name, '')} — overruled by the learned model (p={p:.2f})"
                )
            labels[name] = decided
        if "price_owner" in models.multiclass and found:
            relabelled = []
            for i, a in enumerate(found):
                owner, p = models.predict_class("price_owner", owner_features(a, list_price, i, len(found)))
                if owner != a.owner:
                    a = replace(a, owner=cast(PriceOwner, owner),
                                cue=f"learned model (p={p:.2f}; rules said {a.owner}: {a.cue})")
                relabelled.append(a)
            found = relabelled
        if "question_kind" in models.multiclass:
            learned, p = models.predict_class("question_kind", x)
            if learned != kind:
                reasons.append(f"question kind {kind} → {learned} by the learned model (p={p:.2f})")
                kind = learned  # type: ignore[assignment]
    # Definitions the models cannot overrule (docs/understanding.md): a trade is a concession; a pitch
    # asks no open question.
    at_list = _only_at_list(found, list_price)
    if labels["concession"] and not rules.labels["concession"] and not discounts and at_list:
        labels["concession"] = False
        reasons.append(f"not a concession: the rep's price {at_list} is at or above list and the rules find nothing"
                       f" given (learned model p={probabilities.get('concession', 0):.2f})")
    labels["asks_in_return"] = labels["asks_in_return"] and labels["concession"]
    if labels["is_pitch"] and words < PITCH_MIN_WORDS:
        labels["is_pitch"] = False
        reasons.append(f"not a pitch: {words} words, under {PITCH_MIN_WORDS}")
    if labels["is_pitch"] and kind == "open":
        labels["is_pitch"] = False
        reasons.append("not a pitch: it asks an open question")
    next_step_time = _proposal_time(parts, time_phrase) if labels["next_step"] else None

    for name in BOOLEAN_LABELS:
        if labels[name] and name in rules.reasons:
            reasons.append(rules.reasons[name])
        elif labels[name]:
            reasons.append(f"{name}: the learned model reads it (p={probabilities.get(name, 0):.2f})")
        elif name in rules.reasons and "overruled" in rules.reasons[name]:
            reasons.append(rules.reasons[name])
    if labels["next_step"]:
        reasons.append(f"next step time: {next_step_time!r}" if next_step_time else "next step with no concrete time")
    for a in found:
        reasons.append(f"price {a.value:,.0f} is the {a.owner}'s ({a.cue})")
    if not reasons:
        reasons.append("a statement: no question, proposal, courtesy, concession or price")
    return RepReading(text=text, visible=visible, language=language, words=words, sentences=parts,
                      questions=questions, question_kind=kind, labels=labels, next_step_time=next_step_time,
                      amounts=found, discount_pcts=discounts, reasons=reasons, probabilities=probabilities,
                      rule_question_kind=rule_kind, features=x)


def _only_at_list(found: list[Amount], list_price: float | None) -> str:
    """The rep's price when every amount of the rep's is at or above the list price ('the renewal stays at
    $50,000' against a list of 50,000), else ''. A price at list gives nothing (docs/understanding.md)."""
    if not list_price:
        return ""
    mine = [comparable_value(a, list_price) for a in found if a.owner == "rep"]
    if not mine or any(v is None or v < list_price - 0.5 for v in mine):
        return ""
    return f"{max(v for v in mine if v is not None):,.0f}"


def embedded_texts(text: str) -> list[str]:
    """The texts :func:`read_rep` embeds for a message (none when it embeds nothing), so a caller with many
    messages can embed them all in a few batched runs first (``Embedder.embed_many``: same vectors)."""
    visible = visible_text(text[:MAX_ANALYSED_CHARS])
    if not visible.strip() or not has_letters(visible) or not models_enabled() or classifier.shipped("rep") is None:
        return []
    if language_of(visible) != "en":
        return []
    return [normalise(visible)]  # one embedding per message: see feature_vector
