"""Read one buyer line: does it agree, refuse, object, ask or deflect? (grading real calls)

Rules give first readings with reasons; a learned model per label (trained on
tests/data/buyer_lines, train split) decides when it is installed. 'No. Please stop calling me,
okay?' is a refusal: a refusal or objection outweighs an 'okay' in the same line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from simulator.understanding import classifier
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.embedding import shared_embedder
from simulator.understanding.questions import read_questions
from simulator.understanding.reader import models_enabled
from simulator.understanding.rules import find_phrase
from simulator.understanding.text import has_letters, normalise, sentences, visible_text, words_of

AGREE = (
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "alright", "all right", "deal", "sounds good",
    "sounds great", "that works", "works for me", "that'd work", "that would work", "fine by me", "fine with me",
    "let's do it", "let's do that", "let's go", "happy to", "i'm in", "count me in", "agreed", "i agree",
    "absolutely", "definitely", "of course", "go ahead", "book it", "send it over", "i'll do it", "i will",
    "i'd be glad", "i'd love to", "perfect", "great", "you've got a deal", "we have a deal", "i can do that",
    "we can do that", "makes sense", "i'll donate", "i will donate", "i'd like to donate", "i'll give",
    "let's book", "see you then", "that's fine", "fair enough", "i accept", "we accept", "accepted",
)
REFUSE = (
    "no", "nope", "nah", "no thanks", "no thank you", "not interested", "stop calling", "don't call",
    "do not call", "take me off", "remove me", "i'll pass", "we'll pass", "pass for now", "i'd rather not",
    "we'd rather not", "not going to", "won't be", "we won't", "i won't", "can't do that", "cannot do that",
    "that doesn't work", "that does not work", "doesn't work for us", "not for us", "not doing", "decline",
    "we're out", "i'm out", "no deal", "not happening", "not a chance", "no way", "hard no", "we're going with",
    "we went with", "not right now", "not at this time", "i don't want", "we don't want", "don't need",
    "i don't think i will", "not today", "i will not", "not willing", "can't commit", "cannot commit",
    "i'm not going to", "i am not going to", "not donate", "won't donate", "rather not",
)
OBJECT = (
    "too expensive", "expensive", "too much", "over budget", "out of budget", "no budget", "can't afford",
    "cannot afford", "pricey", "steep", "costly", "tried that", "tried this", "didn't work", "did not work",
    "burned", "concern", "concerned", "worried", "worry", "risk", "risky", "not sure", "skeptical", "sceptical",
    "doubt", "don't trust", "don't see the value", "not convinced", "not a priority", "no time", "too busy",
    "too long", "too complex", "complicated", "happy with", "already have", "already use", "locked in",
    "contract with", "security", "compliance", "legal won't", "my boss", "need approval", "but", "however",
    "problem is", "issue is", "the thing is", "double", "twice", "more than", "cheaper", "scam", "how do i know",
    "why would i", "why should i", "what's the catch", "don't believe", "hard to justify", "can't justify",
)
DEFLECT = (
    "send me", "send it", "email me", "let me think", "i'll think", "think about it", "maybe later", "later",
    "circle back", "get back to you", "not sure yet", "we'll see", "let me check", "i'll check", "check with",
    "talk to my", "run it by", "loop back", "next quarter", "next year", "down the road", "some other time",
    "not now", "busy right now", "in a meeting", "call me back", "reach out later", "i'll let you know",
    "we'll let you know", "put it in an email", "maybe", "perhaps", "possibly", "i guess", "hard to say",
    "depends", "it depends", "can't say", "not my call", "not my decision", "i'd have to", "we'd have to",
    "i'll have a look", "i'll take a look", "i'll review", "let me get back", "we're reviewing",
)

BUYER_FEATURE_NAMES: tuple[str, ...] = (
    "rule_agrees", "rule_refuses", "rule_objects", "rule_asks", "rule_deflects",
    "question_mark", "log_words", "starts_no", "starts_yes", "has_but", "has_not",
)


@dataclass
class BuyerReading:
    """The acts of one buyer line, with reasons."""

    text: str
    labels: dict[str, bool]
    reasons: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    features: np.ndarray | None = None


def _rules(low: str, parts: list[str]) -> tuple[dict[str, bool], dict[str, str]]:
    labels: dict[str, bool] = {}
    reasons: dict[str, str] = {}
    refuse = find_phrase(low, REFUSE)
    obj = find_phrase(low, OBJECT)
    defl = find_phrase(low, DEFLECT)
    agree = find_phrase(low, AGREE)
    questions = read_questions(parts)
    labels["refuses"] = bool(refuse) and not re.match(r"^no (?:problem|worries|doubt)", low)
    labels["objects"] = bool(obj) and obj not in ("but", "however") or bool(obj and refuse is None and "?" in low)
    labels["deflects"] = bool(defl) and not labels["refuses"]
    labels["asks"] = bool(questions)
    # An 'okay' or 'sure' inside a refusal, objection or deflection is not agreement.
    labels["agrees"] = bool(agree) and not (labels["refuses"] or labels["objects"] or labels["deflects"])
    for name, hit in (("refuses", refuse), ("objects", obj), ("deflects", defl), ("agrees", agree)):
        if labels[name]:
            reasons[name] = f"{name} ({hit!r})"
    if labels["asks"]:
        reasons["asks"] = f"asks: {questions[0].sentence[:60]!r}"
    return labels, reasons


def read_buyer(text: str, use_models: bool | None = None, keep_features: bool = False) -> BuyerReading:
    """Label one buyer line. Pure and deterministic."""
    visible = visible_text(text[:4000])
    if not visible.strip() or not has_letters(visible):
        return BuyerReading(text, dict.fromkeys(BUYER_LABELS, False), ["no words: nothing to read"],
                            features=np.zeros(384 + len(BUYER_FEATURE_NAMES)) if keep_features else None)
    low = normalise(visible)
    parts = sentences(visible)
    labels, rule_reasons = _rules(low, parts)
    words = len(words_of(low))
    features = [float(labels[n]) for n in BUYER_LABELS] + [
        float("?" in low), math.log1p(words) / 5.0, float(bool(re.match(r"^(?:no|nope|nah)\b", low))),
        float(bool(re.match(r"^(?:yes|yeah|yep|sure|ok|okay)\b", low))), float(" but " in f" {low} "),
        float(bool(re.search(r"\b(?:not|n't|never)\b", low))),
    ]
    models = classifier.shipped("buyer") if (models_enabled() if use_models is None else use_models) else None
    x = (np.concatenate([shared_embedder().embed(low), np.array(features)])
         if (models is not None or keep_features) else None)
    probabilities: dict[str, float] = {}
    if models is not None and x is not None:
        for name in BUYER_LABELS:
            model = models.binary.get(name)
            if model is None:
                continue
            p = model.probability(x)
            probabilities[name] = round(p, 3)
            if (p >= model.threshold) != labels[name]:
                rule_reasons[name] = (f"the learned model reads it (p={p:.2f})" if p >= model.threshold
                                      else f"not {name}: overruled by the learned model (p={p:.2f})")
            labels[name] = p >= model.threshold
    reasons = [rule_reasons[n] for n in BUYER_LABELS if n in rule_reasons and (labels[n] or "overruled" in rule_reasons[n])]
    return BuyerReading(visible, labels, reasons, probabilities, x)
