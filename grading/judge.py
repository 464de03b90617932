"""The optional LLM judgement: at most one level up or down on the competencies the rubric allows.

The model gets a byte-stable rubric prefix, the rule scores, and the transcript as escaped data,
and must answer JSON constrained by a schema (enums for the adjustment and the cited rep turn).
Replies are validated in code; an invalid reply is retried, then the rule scores stand and the
competency is flagged. The quote is copied from the cited line in code, never from the model. Any
failure of the model call (an LLMError, or anything else a backend raises: malformed JSON, a dropped
connection) is handled the same way: the judge is optional, so it never stops a scorecard.

When it runs (:func:`judge_enabled`): ``auto`` asks an OpenAI-compatible backend (or any other
generative one) but not the embedded model on CPU, whose judgement changed no grade when measured;
``on`` and ``off`` force it. The whole judgement, every attempt included, has one deadline
(:attr:`JudgeSettings.timeout_s`); past it the rule scores stand and the card says it timed out.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from grading import prompts
from grading.rubric import Rubric
from grading.scorecard import CompetencyScore, LLMAdjustment
from grading.view import CallView
from simulator.config import JudgeMode, Settings
from simulator.llm.base import LLM, ChatRequest, GenerationOptions, LLMError, messages, model_name_of
from simulator.llm.guard import RealModelCallForbidden

log = logging.getLogger(__name__)

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
    timeout_s: float = 30.0
    """Deadline for the whole judgement, every attempt included (``SPARRING_JUDGE_TIMEOUT_S``)."""
    mode: JudgeMode = "auto"
    """auto | on | off (``SPARRING_JUDGE``); see :func:`judge_enabled`."""


def judge_settings(settings: Settings) -> JudgeSettings:
    """The judge settings configured in the environment (``SPARRING_JUDGE``, ``SPARRING_JUDGE_TIMEOUT_S``)."""
    return JudgeSettings(mode=settings.judge, timeout_s=settings.judge_timeout_s)


def judge_enabled(llm: LLM | None, mode: JudgeMode = "auto") -> bool:
    """Whether the grader asks ``llm`` for a judgement.

    Never without a generative backend (none, or the template backend). ``on``/``off`` force it;
    ``auto`` is on except for the embedded model, which runs on the CPU: measured on the calibration
    calls, its judgement changed no grade and cost 10-20 s a card.
    """
    if llm is None or not getattr(llm, "generative", False) or mode == "off":
        return False
    if mode == "on":
        return True
    return not model_name_of(llm).startswith("embedded:")


@dataclass
class JudgeResult:
    status: Literal["ok", "fallback", "timeout", "skipped"]
    adjustments: dict[str, LLMAdjustment] = field(default_factory=dict)
    warning: str | None = None
    attempts: int = 0


class InvalidReply(ValueError):
    """The model's JSON does not satisfy the schema or the rules."""


class JudgeTimeout(LLMError):
    """The judgement's deadline passed before the model answered."""


def _complete_within(llm: LLM, request: ChatRequest, seconds: float) -> dict[str, Any]:
    """``llm.complete_json(request)``, or JudgeTimeout once ``seconds`` have passed.

    The call runs in a daemon thread so a backend that ignores its own timeout cannot hold the grade
    past the deadline; the request also carries the remaining time (``options.timeout_s``) so a backend
    that honours it stops generating soon after.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["reply"] = llm.complete_json(request)
        except Exception as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name="grade-judge", daemon=True)
    worker.start()
    worker.join(max(0.0, seconds))
    if worker.is_alive():
        raise JudgeTimeout(f"no reply within {seconds:.1f} s")
    if "error" in box:
        raise box["error"]
    return box["reply"]


def validate_reply(
    reply: Any, competency_ids: list[str], turn_to_pos: dict[int, int], view: CallView
) -> dict[str, LLMAdjustment]:
    """Check a reply against the schema in code and build the adjustments. Raises InvalidReply (only)."""
    try:
        return _validated(reply, competency_ids, turn_to_pos, view)
    except InvalidReply:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:  # a shape no check foresaw
        raise InvalidReply(f"unusable reply ({type(exc).__name__}: {exc})") from exc


def _validated(
    reply: Any, competency_ids: list[str], turn_to_pos: dict[int, int], view: CallView
) -> dict[str, LLMAdjustment]:
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
    deadline = time.monotonic() + settings.timeout_s
    for attempt in range(settings.retries + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _timed_out(settings, attempts)
        attempts = attempt + 1
        content = user + (prompts.retry_note(problem) if problem else "")
        request = ChatRequest(
            messages=messages(("system", system), ("user", content)),
            options=replace(options, timeout_s=remaining),
            json_schema=schema,
            purpose=prompts.JUDGE_PURPOSE,
        )
        try:
            reply = _complete_within(llm, request, remaining)
            return JudgeResult("ok", validate_reply(reply, ids, turn_to_pos, view), attempts=attempts)
        except JudgeTimeout:
            return _timed_out(settings, attempts)
        except RealModelCallForbidden:
            raise  # a test reached for a real model: fail loudly, never a quiet fallback
        except Exception as exc:  # LLMError, InvalidReply, or whatever else a backend raised
            expected = isinstance(exc, LLMError | InvalidReply)
            if not expected:
                log.warning("LLM judge: the backend raised %s; treated as a failed attempt",
                            type(exc).__name__, exc_info=True)
            if time.monotonic() >= deadline:  # the backend gave up at the deadline it was handed
                return _timed_out(settings, attempts)
            problem = (str(exc) if expected else f"{type(exc).__name__}: {exc}")[:200]
    return JudgeResult(
        "fallback",
        warning=f"LLM judge reply invalid after {attempts} attempt(s) ({problem}); rule scores kept",
        attempts=attempts,
    )


def _timed_out(settings: JudgeSettings, attempts: int) -> JudgeResult:
    return JudgeResult(
        "timeout",
        warning=f"LLM judge timed out after {settings.timeout_s:g} s; rule scores stand",
        attempts=attempts,
    )


def apply_adjustments(
    scores: list[CompetencyScore], rubric: Rubric, result: JudgeResult
) -> list[CompetencyScore]:
    """New competency scores with the judgement applied (or the fallback flagged)."""
    out: list[CompetencyScore] = []
    for c in scores:
        comp = rubric.competency(c.id)
        if not comp.llm_adjustable or result.status in ("skipped", "timeout"):
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
