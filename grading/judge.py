"""The optional LLM judgement: at most one level up or down on the competencies the rubric allows.

The model gets a byte-stable rubric prefix, the rule scores, and the transcript as escaped data,
and must answer JSON constrained by a schema (enums for the adjustment and the cited rep turn).
Replies are validated in code; an invalid reply is retried, then the rule scores stand and the
competency is flagged. The quote is copied from the cited line in code, never from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from grading import prompts
from grading.rubric import Rubric
from grading.scorecard import CompetencyScore, LLMAdjustment
from grading.view import CallView
from simulator.llm.base import LLM, ChatRequest, GenerationOptions, LLMError, messages

JUDGE_MAX_CHARS = 9_000
"""Transcripts longer than this (in characters) are graded by the rules alone: they would not fit
the embedded model's context next to the rubric."""
REASON_MAX_CHARS = 200


@dataclass(frozen=True)
class JudgeSettings:
    """How the LLM is asked. Temperature 0 and a fixed seed keep the judgement reproducible."""

    retries: int = 2
    temperature: float = 0.0
    seed: int = 7
    max_tokens: int = 220
    timeout_s: float = 60.0


@dataclass
class JudgeResult:
    status: Literal["ok", "fallback", "skipped"]
    adjustments: dict[str, LLMAdjustment] = field(default_factory=dict)
    warning: str | None = None
    attempts: int = 0


class InvalidReply(ValueError):
    """The model's JSON does not satisfy the schema or the rules."""


def validate_reply(
    reply: Any, competency_ids: list[str], turn_to_pos: dict[int, int], view: CallView
) -> dict[str, LLMAdjustment]:
    """Check a reply against the schema in code and build the adjustments. Raises InvalidReply."""
    if not isinstance(reply, dict):
        raise InvalidReply("not a JSON object")
    if set(reply) != set(competency_ids):
        raise InvalidReply(f"keys must be exactly {competency_ids}, got {sorted(reply)}")
    out: dict[str, LLMAdjustment] = {}
    for cid in competency_ids:
        item = reply[cid]
        if not isinstance(item, dict) or set(item) != {"adjust", "turn", "reason"}:
            raise InvalidReply(f"{cid}: needs exactly adjust, turn, reason")
        adjust, turn, reason = item["adjust"], item["turn"], item["reason"]
        if isinstance(adjust, bool) or adjust not in (-1, 0, 1):
            raise InvalidReply(f"{cid}.adjust must be -1, 0 or 1")
        if isinstance(turn, bool) or not isinstance(turn, int) or turn not in turn_to_pos:
            raise InvalidReply(f"{cid}.turn must be one of the rep turns {sorted(turn_to_pos)}")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidReply(f"{cid}.reason must be a non-empty string")
        out[cid] = LLMAdjustment(
            delta=adjust,
            turn=turn,
            quote=view.text(turn_to_pos[turn]),
            reason=" ".join(reason.split())[:REASON_MAX_CHARS],
        )
    return out


def _transcript_data(view: CallView) -> list[dict[str, Any]]:
    return [
        {"turn": view.number(p), "speaker": t["speaker"], "text": t["text"]} for p, t in enumerate(view.turns)
    ]


def judge(
    llm: LLM, rubric: Rubric, view: CallView, scores: list[CompetencyScore], settings: JudgeSettings
) -> JudgeResult:
    """Ask the LLM for adjustments; never raises for a bad reply (falls back to the rules)."""
    targets = [c for c in scores if rubric.competency(c.id).llm_adjustable]
    if not targets or not view.rep_pos:
        return JudgeResult("skipped")
    data = _transcript_data(view)
    if sum(len(d["text"]) for d in data) > JUDGE_MAX_CHARS:
        return JudgeResult(
            "skipped",
            warning=f"transcript over {JUDGE_MAX_CHARS:,} characters: "
            "graded by the rules alone (too long for the LLM judge)",
        )
    ids = [c.id for c in targets]
    turn_to_pos = {view.number(p): p for p in view.rep_pos}
    rep_turns = sorted(turn_to_pos)
    system = prompts.judge_system_prompt([rubric.competency(cid) for cid in ids])
    product = None
    if view.scenario is not None:
        product = {
            "name": view.scenario.product.name,
            "value_points": list(view.scenario.product.value_points),
        }
    user = prompts.judge_user_prompt(
        kind=view.kind,
        product=product,
        rule_scores={c.id: f"{c.rule_score} ({c.level})" for c in targets},
        rep_turns=rep_turns,
        transcript=data,
    )
    options = GenerationOptions(
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
        timeout_s=settings.timeout_s,
    )
    schema = prompts.judge_schema(ids, rep_turns)
    problem = ""
    attempts = 0
    for attempt in range(settings.retries + 1):
        attempts = attempt + 1
        content = user + (prompts.retry_note(problem) if problem else "")
        request = ChatRequest(
            messages=messages(("system", system), ("user", content)),
            options=options,
            json_schema=schema,
            purpose=prompts.JUDGE_PURPOSE,
        )
        try:
            reply = llm.complete_json(request)
            return JudgeResult("ok", validate_reply(reply, ids, turn_to_pos, view), attempts=attempts)
        except (LLMError, InvalidReply) as exc:
            problem = str(exc)[:200]
    return JudgeResult(
        "fallback",
        warning=f"LLM judge reply invalid after {attempts} attempt(s) ({problem}); rule scores kept",
        attempts=attempts,
    )


def apply_adjustments(
    scores: list[CompetencyScore], rubric: Rubric, result: JudgeResult
) -> list[CompetencyScore]:
    """New competency scores with the judgement applied (or the fallback flagged)."""
    out: list[CompetencyScore] = []
    for c in scores:
        comp = rubric.competency(c.id)
        if not comp.llm_adjustable or result.status == "skipped":
            out.append(c)
        elif result.status == "fallback":
            out.append(c.model_copy(update={"source": "rules (llm reply invalid, fell back)"}))
        else:
            adj = result.adjustments[c.id]
            score = max(1, min(5, c.rule_score + adj.delta))
            note = (
                f" LLM judgement: {adj.delta:+d} → {score} (turn {adj.turn}: {adj.reason})"
                if adj.delta
                else f" LLM judgement: no change (turn {adj.turn}: {adj.reason})"
            )
            out.append(
                c.model_copy(
                    update={
                        "score": score,
                        "level": comp.level_text(score),
                        "rule": c.rule + note,
                        "source": "rules+llm",
                        "llm": adj,
                    }
                )
            )
    return out
