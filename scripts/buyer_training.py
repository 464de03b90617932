"""Training of the buyer-line models, called by ``python scripts/train_understanding.py --buyer``.

What the models learn from:
- the corpus's train and dev splits (tests/data/buyer_lines/b2b.jsonl; the test split is never read);
- the written training lines in scripts/data/buyer_lines_written.txt (labelled by the same
  conventions, other wording; any exact repeat of a dev line is dropped here);
- PersuasionForGood persuadee sentences (Wang et al., ACL 2019, Apache-2.0; not shipped, read from
  $SPARRING_PFG_DIR or ../shared/data/persuasionforgood-300 when present) of the dialogues in the
  TUNING half of bench/real_outcomes.py's fixed split, with labels mapped from their annotated acts as
  in bench/bench_buyer_pfg.py (each act scores only the labels it speaks for; see CONTEXT_ACTS for the
  one exception). The tuning half is cut again by corpus.split_of(dialogue_id) into a "train" and a
  "dev" part, used only by --train-only. The HELD-OUT half is never read here: it is where
  bench/real_outcomes.py and bench/bench_buyer_pfg.py report. Without the data the models learn from
  the B2B lines alone.

How settings are chosen, per label: by 5-fold cross-validation over the B2B train + dev splits (folds by
line id) and the PFG tuning half (folds by dialogue: a dialogue's sentences stay in one fold); the
written lines always teach and never judge. For each fold the model is fitted on the other folds (and
the written lines) and reads the held fold; the feature set (below), the regularisation C and the
decision threshold are those that maximise the mean of the out-of-fold F1 on the B2B lines and on the
PFG lines. A source teaches and judges a label only when it has both positives and negatives for it:
PFG scores asks only on its question acts and has no act for deflecting, so asks and deflects are
learned and chosen on the B2B lines alone. The B2B test split and the PFG held-out half are never read.
The shipped model is then fitted with those settings on every teaching line. A label keeps its learned
model only if it beats the rules on the same CV objective; otherwise its rule reading stands. With
--train-only the B2B dev split and the PFG dev part are left out entirely (fit and CV), so that
scripts/buyer_errors.py shows honest dev errors.

Which features: always the sentence embedding, the hashed word n-grams and the question cues of the
rules (rule_asks, echo, questions, question_mark); optionally (CV decides, per label) the rule
readings agrees / refuses / objects / deflects, and the rep's previous line (buyer.CONTEXT_FEATURE_NAMES:
what kind of line it is — a question for information, a proposal, an ask for the commitment, a check,
an amount — and its pairs with the buyer's yes/no/amount cues; the pairs with the rule readings only
when both are on). Every item carries its previous rep line: the B2B corpus's context, the written
lines' '# rep:' headers, the persuader's latest turn for a PFG sentence. Without the context features
PFG's answers to questions (CONTEXT_ACTS) do not teach 'agrees'; with them they do.
The other rule cues get no weight: they were written while reading the
B2B train split, so there they look far more reliable than on new lines. The rule readings are
offered as features because on real chat (PFG) they carry what the embedding misses ("I would like
to donate $0" refuses); CV decides per label whether they help. After the model, the rules keep
a veto (buyer._RuleReading.vetoes: a bare yes or no to a question for information, "okay, but <objection>").
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from simulator.understanding import classifier, corpus
from simulator.understanding.buyer import (
    BUYER_FEATURE_NAMES,
    CONTEXT_FEATURE_NAMES,
    EMBEDDING_DIMENSIONS,
    read_buyer,
)
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore
from simulator.understanding.ngrams import BUCKETS

WRITTEN = Path(__file__).resolve().parent / "data" / "buyer_lines_written.txt"
C_GRID = (1.0, 3.0, 10.0, 30.0)
THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.025), 3)
FOLDS = 5
USED_RULE_FEATURES = ("rule_asks", "echo", "questions", "question_mark")
RULE_READINGS = ("rule_agrees", "rule_refuses", "rule_objects", "rule_deflects")
_SHORT = {"agr": "agrees", "ref": "refuses", "obj": "objects", "ask": "asks", "def": "deflects"}


def written_lines(path: Path = WRITTEN) -> list[dict[str, Any]]:
    """The written training lines: '<labels> | <text>' under '# rep: …' context headers."""
    out: list[dict[str, Any]] = []
    if not path.is_file():
        return out
    rep = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# rep:"):
            rep = line[len("# rep:"):].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        codes, sep, text = line.partition(" | ")
        if not sep or not text.strip():
            raise ValueError(f"{path}:{number}: expected '<labels> | <text>'")
        names = set() if codes.strip() == "-" else {_SHORT[c.strip()] for c in codes.split(",")}
        out.append({"id": f"written-{number}", "text": text.strip(), "context": {"previous_rep_line": rep},
                    "labels": {n: n in names for n in BUYER_LABELS}, "scored": set(BUYER_LABELS)})
    return out


def pfg_half(dialogue_id: str) -> str:
    """bench/real_outcomes.py's fixed split: 'held-out' when sha256(id) is odd, else 'tuning'."""
    return "held-out" if int(hashlib.sha256(dialogue_id.encode("utf-8")).hexdigest(), 16) % 2 == 1 else "tuning"


def pfg_part(dialogue_id: str) -> str:
    """'held-out' (never trained or tuned on), else the tuning half's 'train' or 'dev' part."""
    if pfg_half(dialogue_id) == "held-out":
        return "held-out"
    return "train" if corpus.split_of(dialogue_id) == "train" else "dev"


def pfg_lines() -> list[dict[str, Any]]:
    """Every PersuasionForGood persuadee sentence with its labels and part ([] when the data is absent)."""
    import importlib.util

    bench = Path(__file__).resolve().parents[1] / "bench" / "bench_buyer_pfg.py"
    spec = importlib.util.spec_from_file_location("bench_buyer_pfg", bench)
    if spec is None or spec.loader is None:
        return []
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    items: list[dict[str, Any]] = module.pfg_sentences()
    for item in items:
        item["part"] = pfg_part(item["dialogue_id"])
    return items


CONTEXT_ACTS = frozenset({"positive-to-inquiry", "negative-to-inquiry", "neutral-to-inquiry", "acknowledgement"})
"""PFG acts whose 'agrees' reading depends on the persuader's line: "Yes, I do." answers a question (no
label) but accepts a proposal (agrees; CONVENTIONS.md). A model without the context features is not taught
'agrees' on them (it cannot see why); one with them is."""


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    score = LabelScore()
    for t, p in zip(truth, predicted, strict=True):
        score.add(bool(t), bool(p))
    return score.f1


CONTEXT_NAMES = tuple(n for n in CONTEXT_FEATURE_NAMES if not n.startswith("x_rule_"))
CONTEXT_RULE_NAMES = tuple(n for n in CONTEXT_FEATURE_NAMES if n.startswith("x_rule_"))


def _columns(with_rules: bool = False, with_context: bool = False) -> np.ndarray:
    """The feature columns that get weights: embedding, the question cues, n-grams (+ rule readings, + the
    rep's previous line and its pairs with the buyer's cues; the x_rule_* pairs only with both)."""
    names = USED_RULE_FEATURES + (RULE_READINGS if with_rules else ()) + (CONTEXT_NAMES if with_context else ()) \
        + (CONTEXT_RULE_NAMES if with_rules and with_context else ())
    rule = [EMBEDDING_DIMENSIONS + BUYER_FEATURE_NAMES.index(n) for n in names]
    start = EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES)
    return np.array([*range(EMBEDDING_DIMENSIONS), *rule, *range(start, start + BUCKETS)])


def previous_rep_line(item: dict[str, Any]) -> str:
    return str((item.get("context") or {}).get("previous_rep_line") or "")


def featurise(items: list[dict[str, Any]]) -> tuple[np.ndarray, list[dict[str, bool]]]:
    """Full feature rows (the layout read_buyer builds, with each item's previous rep line) and the rule
    readings of each item."""
    readings = [read_buyer(u["text"], use_models=False, keep_features=True, previous_rep_line=previous_rep_line(u))
                for u in items]
    dim = EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS
    rows = [r.features if r.features is not None else np.zeros(dim) for r in readings]
    return (np.vstack(rows) if rows else np.zeros((0, dim))), [r.labels for r in readings]


def _fit(x: Any, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)


def fold_of(key: str, folds: int = FOLDS) -> int:
    """A stable fold per B2B line id or per PFG dialogue (a dialogue's sentences stay together)."""
    return int(hashlib.sha256(("fold:" + key).encode("utf-8")).hexdigest(), 16) % folds


class _Pool:
    """Every line that teaches or judges, featurised once: source ('b2b', 'written', 'pfg'), fold, labels."""

    def __init__(self, sources: dict[str, list[dict[str, Any]]]) -> None:
        from scipy import sparse

        self.items = [u for items in sources.values() for u in items]
        self.source = np.array([name for name, items in sources.items() for _ in items])
        self.fold = np.array([-1 if src == "written" else fold_of(u.get("dialogue_id") or u["id"])
                              for src, u in zip(self.source, self.items, strict=True)])
        x, self.rules = featurise(self.items)
        self.x = sparse.csr_matrix(x)
        self.truth = {n: np.array([bool(u["labels"][n]) for u in self.items]) for n in BUYER_LABELS}
        self.scored = {n: np.array([n in u.get("scored", BUYER_LABELS) for u in self.items]) for n in BUYER_LABELS}
        context_acts = np.array([bool(u.get("acts")) and set(u["acts"]) <= CONTEXT_ACTS for u in self.items])
        # Without the rep's line a model cannot tell "Yes, I do." answering from accepting: then it is not
        # taught 'agrees' on PFG's answers to questions (still judged on them).
        self.untaught_without_context = {n: (context_acts if n == "agrees" else np.zeros(len(self.items), bool))
                                         for n in BUYER_LABELS}

    def judges(self, name: str) -> list[str]:
        """The sources (not the written lines) with positives and negatives for this label: they judge it."""
        out = []
        for src in ("b2b", "pfg"):
            m = (self.source == src) & self.scored[name]
            if self.truth[name][m].any() and not self.truth[name][m].all():
                out.append(src)
        return out

    def teaching(self, name: str, with_context: bool) -> np.ndarray:
        """Rows that teach this label: scored, from a source with both classes (PFG has no deflections and
        scores asks only on its question acts: it teaches neither)."""
        m = self.scored[name].copy()
        for src in ("b2b", "written", "pfg"):
            s = self.source == src
            if not (self.truth[name][s & m].any() and not self.truth[name][s & m].all()):
                m &= ~s
        if not with_context:
            m &= ~self.untaught_without_context[name]
        return m


def _cv_probabilities(pool: _Pool, name: str, cols: np.ndarray, c: float, with_context: bool,
                      folds: int = FOLDS) -> np.ndarray:
    """Out-of-fold probabilities for every row of the pool (written lines always train, never judged)."""
    teach = pool.teaching(name, with_context)
    out = np.full(len(pool.items), np.nan)
    x = pool.x[:, cols]
    for k in range(folds):
        fit = teach & (pool.fold != k)
        held = pool.fold == k
        model = _fit(x[fit], pool.truth[name][fit], c)
        out[held] = model.predict_proba(x[held])[:, 1]
    return out


def _judge(pool: _Pool, name: str, predicted: np.ndarray) -> tuple[float, dict[str, float]]:
    """Mean F1 over the judging sources, and each one's F1."""
    f1s = {}
    for src in pool.judges(name):
        m = (pool.source == src) & pool.scored[name]
        f1s[src] = _f1(pool.truth[name][m], predicted[m])
    return (float(np.mean(list(f1s.values()))) if f1s else 0.0), f1s


def train(out: Path, train_only: bool) -> dict[str, float]:
    """Choose settings by cross-validation, fit on everything, save; returns each label's CV objective."""
    b2b = corpus.buyer_lines("train") + ([] if train_only else corpus.buyer_lines("dev"))
    dev_texts = {re.sub(r"[^a-z0-9]+", " ", u["text"].lower()).strip() for u in corpus.buyer_lines("dev")}
    written = [u for u in written_lines()
               if re.sub(r"[^a-z0-9]+", " ", u["text"].lower()).strip() not in dev_texts]
    pfg = [u for u in pfg_lines() if u["part"] in (("train",) if train_only else ("train", "dev"))]
    print(f"buyer lines: B2B {'train' if train_only else 'train + dev'} {len(b2b)} (test not read); written "
          f"{len(written)}; PersuasionForGood tuning half{' (train part)' if train_only else ''}: {len(pfg)} sentences"
          f"{'' if pfg else ' (data not found: B2B only)'} (held-out half not read); {FOLDS}-fold CV "
          f"(B2B by line, PFG by dialogue; written lines always teach, never judge)")
    pool = _Pool({"b2b": b2b, "written": written, "pfg": pfg})
    binary: dict[str, classifier.BinaryModel] = {}
    objective: dict[str, float] = {}
    for name in BUYER_LABELS:
        best: tuple[float, float, bool, bool, float, float, dict[str, float]] | None = None
        for with_context in (False, True):
            for with_rules in (False, True):
                cols = _columns(with_rules, with_context)
                for c in C_GRID:
                    probs = _cv_probabilities(pool, name, cols, c, with_context)
                    for t in THRESHOLDS:
                        score, f1s = _judge(pool, name, probs >= t)
                        key = (score, -abs(float(t) - 0.5))
                        if best is None or key > best[:2]:
                            best = (score, key[1], with_context, with_rules, c, float(t), f1s)
                if best is not None:
                    print(f"    {name:9s} context {'on ' if with_context else 'off'} rules "
                          f"{'on ' if with_rules else 'off'}: best CV so far {best[0]:.3f}", flush=True)
        assert best is not None
        score, _, with_context, with_rules, c, t, f1s = best
        rules, rule_f1s = _judge(pool, name, np.array([r[name] for r in pool.rules]))
        objective[name] = max(score, rules)
        shown = " / ".join(f"{k} {v:.3f}" for k, v in f1s.items())
        if score <= rules:
            print(f"  {name:9s} CV F1 rules {rules:.3f} ≥ learned {score:.3f} ({shown}): rules stand")
            continue
        cols = _columns(with_rules, with_context)
        teach = pool.teaching(name, with_context)
        final = _fit(pool.x[teach][:, cols], pool.truth[name][teach], c)
        print(f"  {name:9s} CV F1 rules {' / '.join(f'{k} {v:.3f}' for k, v in rule_f1s.items())} → learned {shown} "
              f"(C={c}, threshold={t}, context {'used' if with_context else 'not used'}, rule readings "
              f"{'used' if with_rules else 'not used'}; shipped fit on all {int(teach.sum())} teaching lines)")
        weights = np.zeros(EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS)
        weights[cols] = final.coef_[0]
        binary[name] = classifier.BinaryModel(weights, float(final.intercept_[0]), t)
    names = ("embedding",) * EMBEDDING_DIMENSIONS + BUYER_FEATURE_NAMES + ("ngram",) * BUCKETS
    classifier.save(out, classifier.LabelModels(binary, names, {}, {}))
    classifier.shipped.cache_clear()
    print(f"wrote {out}")
    return objective
