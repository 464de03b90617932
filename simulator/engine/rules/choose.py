"""Choosing the buyer's words among the lines its state permits: the best fit to what the rep just
said, never the same line twice in a session (unless every option has been said), and a per-session
seed so two reps saying the same thing in two sessions need not hear the same line.

Fit is the cosine similarity of sentence embeddings (the understanding layer's MiniLM model); with
``SPARRING_UNDERSTANDING=rules`` or without the model it is content-word overlap. Among the lines that
fit about equally well, the session seed chooses. The choice is a function of (candidates, rep
text, session seed, lines already said): a replayed session chooses the same lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from simulator.understanding.text import content_words, normalise

FIT_BAND = 0.04
"""Candidates fitting the rep's message within this much of the best one fit equally well (the
phrasings of one fact differ by less; fitting and unfitting lines differ by 0.1–0.4): the session
seed chooses among them, so two sessions word the same decision differently."""


def line_key(text: str) -> str:
    """A short stable key of a spoken line (what the state remembers as said)."""
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:12]


def session_seed(session_id: str) -> int:
    """A stable seed from a session id."""
    return int(hashlib.sha1(session_id.encode("utf-8")).hexdigest()[:8], 16)


def _draw(seed: int, key: str) -> int:
    return int(hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()[:8], 16)


ECHO_SHARE = 0.6
"""A candidate whose content words are mostly the rep's own words would echo the rep back."""
ECHO_PENALTY = 1.0


def echoes(rep_text: str, candidate: str) -> bool:
    """Would saying ``candidate`` repeat the rep's own words back ('You'd rather not speak for him.'
    → 'I'd rather not speak for him.')? Similar meaning is wanted; the rep's words are not."""
    words = content_words(candidate)
    return len(words) >= 2 and len(words & content_words(rep_text)) / len(words) >= ECHO_SHARE


def fit_scores(rep_text: str, candidates: Sequence[str]) -> list[float]:
    """How well each candidate line fits the rep's message, higher is better (0 when no message)."""
    if not rep_text.strip() or not candidates:
        return [0.0] * len(candidates)
    from simulator.understanding.reader import models_enabled

    if models_enabled():
        from simulator.understanding.embedding import EmbeddingModelError, shared_embedder

        try:
            vectors = shared_embedder().embed_many([rep_text, *candidates])
        except EmbeddingModelError:
            pass
        else:
            return [float(vectors[0] @ v) for v in vectors[1:]]
    rep = content_words(rep_text)
    scores = []
    for candidate in candidates:
        words = content_words(candidate)
        scores.append(len(rep & words) / (len(rep | words) or 1))
    return scores


PHRASINGS = float("inf")
"""Pass as ``band`` when the candidates are phrasings of one decided line (a fact, an objection, a
counter-offer): they answer the rep equally well, so only the session seed chooses."""


def choose_line(candidates: Sequence[str], rep_text: str, seed: int, said: Sequence[str],
                keys: Sequence[str] | None = None, band: float = FIT_BAND) -> int:
    """Index of the best-fitting candidate not yet said; when all were said, the one said longest ago.

    ``keys`` (default: each candidate's :func:`line_key`) is what "said" is checked against: a line
    with a filled-in value ('I can do {price}') counts as said whatever the value was.
    """
    keys = list(keys) if keys is not None else [line_key(c) for c in candidates]
    options = [i for i, c in enumerate(candidates) if c.strip() and keys[i] not in keys[:i]]
    if not options:
        raise ValueError("no candidate lines to choose from")
    fresh = [i for i in options if keys[i] not in said]
    if not fresh:
        last_said = {key: n for n, key in enumerate(said)}
        return min(options, key=lambda i: last_said.get(keys[i], -1))
    if len(fresh) == 1:
        return fresh[0]
    if band == PHRASINGS:
        return min(fresh, key=lambda i: _draw(seed, keys[i]))
    scores = fit_scores(rep_text, [candidates[i] for i in fresh])
    scores = [sc - ECHO_PENALTY * echoes(rep_text, candidates[i]) for sc, i in zip(scores, fresh, strict=True)]
    best = max(scores)
    equal = [i for i, sc in zip(fresh, scores, strict=True) if sc >= best - band]
    return min(equal, key=lambda i: _draw(seed, keys[i]))


def rank_by_fit(rep_text: str, items: Sequence[str]) -> list[int]:
    """Indices of ``items`` from best to worst fit to the rep's message (stable for ties)."""
    scores = fit_scores(rep_text, items)
    return sorted(range(len(items)), key=lambda i: -scores[i])
