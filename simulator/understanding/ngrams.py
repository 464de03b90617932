"""Hashed word and word-pair features of a message: the lexical half of what the learned models see.

The sentence embedding carries meaning; these carry exact wording ("on us", "i'll let you go").
Hashing (crc32) keeps the feature space fixed without a vocabulary file.
"""

from __future__ import annotations

import itertools
import re
import zlib

import numpy as np

BUCKETS = 4096
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[$%?!]")


def _index(feature: str) -> int:
    return zlib.crc32(feature.encode()) % BUCKETS


def ngram_features(low: str) -> np.ndarray:
    """Binary word, word-pair, first-words and last-words features, L2-normalised."""
    tokens = [("#" if t[0].isdigit() else t) for t in _TOKEN.findall(low)]
    x = np.zeros(BUCKETS)
    if not tokens:
        return x
    for t in tokens:
        x[_index("U:" + t)] = 1.0
    for a, b in itertools.pairwise(tokens):
        x[_index(f"B:{a} {b}")] = 1.0
    for t in tokens[:3]:
        x[_index("S:" + t)] = 1.0
    for t in tokens[-3:]:
        x[_index("E:" + t)] = 1.0
    return x / np.linalg.norm(x)
