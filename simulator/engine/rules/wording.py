"""What the rep asked about, for the buyer's words only: never for what the buyer decides.

The director's rules read topics with the lexicon (:mod:`simulator.engine.lexicon`) and decide what
the buyer tells; that reading is left alone here. To *word* the reply, the rep's question is also
compared by meaning (the understanding layer's sentence embeddings) with how reps ask about each
topic (``asks`` in simulator/content/topic_cues.yaml): "Who signs off on a tool at this price?" is
about the decision, though its words say budget and tools; "What happens when a page goes
unanswered?" is about impact, though no lexicon word says so. The buyer then picks, among the lines
its state permits, one that names that topic (``names`` in the same file), and a reply whose move
says something else (an objection's concern, a hint on another fact) first deflects the question,
naming it: every question gets an answer or an in-character "not yet" on what was asked.

With ``SPARRING_UNDERSTANDING=rules`` or without the model, the lexicon's first topic is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from simulator.content.stock import names_topic, topic_cues

__all__ = ["ASK_FIT", "ASK_MARGIN", "LEXICON_BONUS", "asked_topic", "names_topic", "question_part"]

ASK_FIT = 0.55
"""A question this close in meaning (cosine) to one of a topic's ``asks``, and ``ASK_MARGIN`` closer
than to any other topic, is about that topic even when the lexicon found another topic or none.
(Below it, meaning alone misleads: 'Where would you like to start?' fits 'How soon would you want to
start?' at 0.54; 'How's the week treating you?' fits metrics and current_solution alike.)"""
ASK_MARGIN = 0.05
LEXICON_BONUS = 0.08
"""Added to the fit of topics the lexicon found in the question: its words are evidence too."""

_QUESTION = re.compile(r"[^.!?]*\?")


def question_part(rep_text: str) -> str:
    """The question sentences of a message (what is asked), or the whole message when none ends in '?'."""
    found = [q.strip() for q in _QUESTION.findall(rep_text) if len(q.split()) >= 2]
    return " ".join(found) if found else rep_text.strip()


def _fits(question: str) -> dict[str, float] | None:
    """Best cosine of the question to each topic's asks; None without the embedding model."""
    from simulator.understanding.reader import models_enabled

    if not models_enabled():
        return None
    from simulator.understanding.embedding import EmbeddingModelError, shared_embedder

    cues = topic_cues()
    asks = [(topic, ask) for topic, cue in cues.items() for ask in cue.asks]
    try:
        vectors = shared_embedder().embed_many([question, *(ask for _, ask in asks)])
    except EmbeddingModelError:
        return None
    fits: dict[str, float] = {}
    for (topic, _), vector in zip(asks, vectors[1:], strict=True):
        fits[topic] = max(fits.get(topic, -1.0), float(vectors[0] @ vector))
    return fits


def asked_topic(rep_text: str, lexicon_topics: Sequence[str]) -> str | None:
    """The topic the rep's question is about, for choosing words; None when it is about none.

    The topic whose ``asks`` fit the question best (lexicon topics get ``LEXICON_BONUS``) when that fit
    reaches ``ASK_FIT`` with ``ASK_MARGIN`` over the next topic; else the lexicon topic that fits best
    (the lexicon's words can point at several: 'Who signs off on a tool at this price?' has budget and
    tools words); else None."""
    if not rep_text.strip():
        return None
    found = [t for t in lexicon_topics if t in topic_cues()]
    fits = _fits(question_part(rep_text))
    if fits is None:
        return found[0] if found else None
    scored = {t: f + (LEXICON_BONUS if t in found else 0.0) for t, f in fits.items()}
    ranked = sorted(scored, key=lambda t: -scored[t])
    best = ranked[0]
    if scored[best] >= ASK_FIT and (len(ranked) < 2 or scored[best] - scored[ranked[1]] >= ASK_MARGIN):
        return best
    if found:
        return max(found, key=lambda t: scored[t])
    return None
