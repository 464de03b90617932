"""Word error rate, for the voice tests and the benchmark (no dependency needed)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9']+")
_EQUIVALENT = {"follow-up": "follow up", "followup": "follow up", "let's": "let us", "ok": "okay"}


def normalize_words(text: str) -> list[str]:
    """Lower-case, drop punctuation, unify a few spellings; return the words."""
    lowered = text.lower().replace("’", "'")
    for variant, canonical in _EQUIVALENT.items():
        lowered = re.sub(rf"\b{re.escape(variant)}\b", canonical, lowered)
    return _TOKEN.findall(lowered.replace("-", " "))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after :func:`normalize_words`."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """WER over several (reference, hypothesis) pairs, weighted by reference length."""
    errors = 0.0
    words = 0
    for ref, hyp in pairs:
        n = len(normalize_words(ref))
        errors += word_error_rate(ref, hyp) * n
        words += n
    return errors / words if words else 0.0
