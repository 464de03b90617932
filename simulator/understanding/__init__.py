"""Reading what a rep (and a buyer) says: labels with reasons, measured on a labelled corpus.

Definitions: docs/understanding.md. Entry points: :func:`read_rep` and :func:`read_buyer`.
"""

from simulator.understanding.reader import RepReading, read_rep

__all__ = ["RepReading", "read_rep"]
