"""Turn check results into competency scores and the overall score.

Rules, in plain words (also in docs/grading.md):
- competency score = 1 + the number of its four checks passed (so 1..5);
- overall = 25 x (sum of weight x score / sum of weights - 1), rounded, over the scored competencies;
- a competency is not scored when its weight for this kind of call is 0, or in a call without a
  scenario when nothing it needs happened (no objection, no price).
"""

from __future__ import annotations

import math

from grading.checks import REGISTRY, CheckOutcome
from grading.metrics import CallNumbers
from grading.rubric import COMPETENCY_IDS, Competency, Rubric
from grading.scorecard import CheckResult, CompetencyScore, Evidence, NotScored
from grading.view import CallView
from simulator.errors import ContentError

MAX_EVIDENCE = 5


def validate_rubric(rubric: Rubric) -> None:
    """Every check in the rubric must have code behind it (and every coded check a rubric entry)."""
    declared = {(c.id, ch.id) for c in rubric.competencies for ch in c.checks}
    missing = sorted(f"{c}.{k}" for c, k in declared - set(REGISTRY))
    extra = sorted(f"{c}.{k}" for c, k in set(REGISTRY) - declared)
    if missing or extra:
        raise ContentError(
            f"rubric checks do not match the grader's code: no code for {missing or 'none'}; "
            f"not in the rubric: {extra or 'none'}"
        )


def not_scored_reason(comp: Competency, view: CallView, n: CallNumbers) -> str | None:
    """Why a competency is left out of this call's score, or None when it is scored."""
    if comp.weights.for_kind(view.kind) <= 0:
        return f"not part of a {view.kind.replace('_', ' ')} drill"
    if comp.id == "objection_handling" and not n.episodes and view.kind != "objection_handling":
        return "no objection came up in this call"
    if comp.id == "negotiation" and view.kind == "transcript" and not n.negotiation.engaged:
        return "no price was discussed in this call"
    return None


def _evidence(view: CallView, results: list[tuple[str, CheckOutcome]]) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[int, bool]] = set()
    for check_id, res in results:
        for supports, positions in ((True, res.support), (False, res.against)):
            for pos in positions:
                if pos < 0 or view.turns[pos]["speaker"] != "rep" or (pos, supports) in seen:
                    continue
                seen.add((pos, supports))
                reply = view.response(pos)
                out.append(
                    Evidence(
                        turn=view.number(pos),
                        quote=view.text(pos),
                        check=check_id,
                        supports=supports,
                        note=res.detail,
                        response_turn=view.number(reply.buyer_pos) if reply.buyer_pos is not None else None,
                        response=view.text(reply.buyer_pos) if reply.buyer_pos is not None else None,
                        effect=reply.effect(),
                    )
                )
    # Deterministic and balanced: the first line per check, then the rest, capped.
    firsts = list(dict.fromkeys((e.check, e.supports) for e in out))
    head = [next(e for e in out if (e.check, e.supports) == key) for key in firsts]
    tail = [e for e in out if e not in head]
    return (head + tail)[:MAX_EVIDENCE]


def score_competency(comp: Competency, view: CallView, n: CallNumbers, *, trained: bool) -> CompetencyScore:
    """Run a competency's four checks and score it."""
    results = [(ch.id, REGISTRY[(comp.id, ch.id)](view, n, ch.params)) for ch in comp.checks]
    checks = [
        CheckResult(id=ch.id, text=ch.describe(), passed=res.passed, detail=res.detail)
        for ch, (_, res) in zip(comp.checks, results, strict=True)
    ]
    passed = sum(c.passed for c in checks)
    score = 1 + passed
    marks = "; ".join(f"{'✔' if c.passed else '✘'} {c.text} — {c.detail}" for c in checks)
    rule = f"score = 1 + checks passed = 1 + {passed} = {score}. {marks}"
    return CompetencyScore(
        id=comp.id,
        name=comp.name,
        score=score,
        rule_score=score,
        weight=comp.weights.for_kind(view.kind),
        trained=trained,
        level=comp.level_text(score),
        rule=rule,
        checks=checks,
        evidence=_evidence(view, results),
        source="rules",
    )


def score_all(
    rubric: Rubric, view: CallView, n: CallNumbers
) -> tuple[list[CompetencyScore], list[NotScored]]:
    """Score every applicable competency, in the rubric's fixed order."""
    trained = set(view.scenario.competencies) if view.scenario else set()
    scored: list[CompetencyScore] = []
    skipped: list[NotScored] = []
    for cid in COMPETENCY_IDS:
        comp = rubric.competency(cid)
        reason = not_scored_reason(comp, view, n)
        if reason:
            skipped.append(NotScored(id=cid, name=comp.name, reason=reason))
        else:
            scored.append(score_competency(comp, view, n, trained=cid in trained))
    return scored, skipped


def overall_score(scores: list[CompetencyScore]) -> tuple[int, str]:
    """The 0..100 overall score and the arithmetic behind it."""
    total_w = sum(c.weight for c in scores)
    if total_w <= 0:
        return 0, "no competency was scored"
    mean = sum(c.weight * c.score for c in scores) / total_w
    value = max(0, min(100, math.floor(25 * (mean - 1) + 0.5)))
    terms = " + ".join(f"{c.weight:g}×{c.score}" for c in scores)
    return value, (
        f"overall = 25 × (weighted mean − 1) = 25 × (({terms}) / {total_w:g} − 1) "
        f"= 25 × ({mean:.2f} − 1) = {value}"
    )
