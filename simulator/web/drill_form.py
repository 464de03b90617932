"""The Drill studio's form: every field of a drill (persona + scenario) as form inputs, and back.

Pure functions, no Gradio: :data:`FIELDS` lists the inputs in order; :func:`to_form` turns a draft's
JSON into their values, :func:`from_form` applies the values onto the draft's JSON (fields the form
does not show, such as extra phrasings, deflections per topic or the voice, are kept as they were).
Lists of lines are one line per item; lists of ids are comma-separated; hidden facts, objections,
stages and difficulty levels are tables (a row per item).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.content.models import Difficulty

TEMPERAMENTS = ["warm", "neutral", "skeptical", "guarded", "impatient"]
KINDS = ["discovery", "objection_handling", "negotiation"]
OBJECTION_TYPES = ["price", "timing", "authority", "need", "trust", "competitor", "status_quo"]
LEVELS: tuple[Difficulty, ...] = ("easy", "medium", "hard")
LINE_NAMES = ["greeting", "small_talk", "closed_answer", "vague_answer", "deflect_pitch", "impatient", "end_call",
              "agree_next_step", "decline_next_step", "ask_for_time", "thanks", "reflect", "deny_claim", "too_early"]


@dataclass(frozen=True)
class Field:
    key: str
    """'s.' (scenario) or 'p.' (persona) and the dotted path in its JSON; tables name their list."""
    label: str
    kind: str
    """text | long | lines | csv | float | int | bool | choice | multi | table"""
    section: str
    choices: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    info: str = ""


FACT_COLUMNS = ("id", "importance", "topics", "after", "min_trust", "requires", "say", "hint", "partial", "keywords")
OBJECTION_COLUMNS = ("id", "type", "say", "concern", "response_keywords", "resolved_say", "push_back")
STAGE_COLUMNS = ("id", "goal")
LEVEL_COLUMNS = ("level", "description", "trust_delta", "patience_delta", "fact_trust_delta", "walk_away_delta",
                 "opening_delta", "min_response_keywords", "extra_objections")

FIELDS: tuple[Field, ...] = (
    # the drill (scenario)
    Field("s.id", "Drill id (lower-case, digits, - and _)", "text", "Drill"),
    Field("s.title", "Title", "text", "Drill"),
    Field("s.kind", "Kind", "choice", "Drill", choices=tuple(KINDS),
          info="sets the stages: discovery, objections or negotiation"),
    Field("s.industry", "Industry", "text", "Drill"),
    Field("s.brief", "Brief (shown to the rep before the call)", "long", "Drill"),
    Field("s.objective", "Objective (one sentence)", "text", "Drill"),
    Field("s.competencies", "Graded on", "multi", "Drill"),
    Field("s.turn_cap", "Turn cap", "int", "Drill"),
    Field("s.stages", "Stages (in order)", "table", "Drill", columns=STAGE_COLUMNS),
    Field("s.objections", "Objections raised, in order (persona objection ids, comma-separated)", "csv", "Drill"),
    Field("s.success.min_facts", "Success: key facts to uncover (discovery)", "int", "Drill"),
    Field("s.success.min_objections_resolved", "Success: objections to resolve (objection handling)", "int", "Drill"),
    Field("s.success.min_price_fraction", "Success: lowest price, as a fraction of list (negotiation)", "float",
          "Drill"),
    Field("s.success.next_step_with_time", "Success: book a next step with a concrete time", "bool", "Drill"),
    Field("s.success.all_concessions_traded", "Success: every concession traded", "bool", "Drill"),
    Field("s.success.deal_required", "Success: a deal is required", "bool", "Drill"),
    # product
    Field("s.product.name", "Product name", "text", "Product"),
    Field("s.product.summary", "Product summary", "long", "Product"),
    Field("s.product.value_points", "Value points (one per line)", "lines", "Product"),
    Field("s.product.proof_points", "Proof points (one per line)", "lines", "Product"),
    Field("s.product.list_price", "List price", "float", "Product"),
    Field("s.product.currency", "Currency", "text", "Product"),
    Field("s.product.price_unit", "Price unit (e.g. per year)", "text", "Product"),
    # difficulty
    Field("s.difficulties", "Difficulty levels", "table", "Difficulty", columns=LEVEL_COLUMNS,
          info="extra_objections: comma-separated objection ids"),
    # buyer
    Field("p.id", "Buyer id", "text", "Buyer"),
    Field("p.name", "Name", "text", "Buyer"),
    Field("p.role", "Role", "text", "Buyer"),
    Field("p.company.name", "Company", "text", "Buyer"),
    Field("p.company.industry", "Company industry", "text", "Buyer"),
    Field("p.company.size", "Company size", "text", "Buyer"),
    Field("p.company.profile", "Company profile", "long", "Buyer"),
    Field("p.temperament", "Temperament", "choice", "Buyer", choices=tuple(TEMPERAMENTS)),
    Field("p.personality", "Personality", "long", "Buyer"),
    Field("p.style", "How they speak", "long", "Buyer"),
    Field("p.priorities", "Priorities (one per line)", "lines", "Buyer"),
    Field("p.pains", "Pains (one per line)", "lines", "Buyer"),
    Field("p.decision_process", "Decision process", "long", "Buyer"),
    Field("p.base_trust", "Starting trust (0–1)", "float", "Buyer"),
    Field("p.base_patience", "Patience (rep turns of poor value tolerated)", "int", "Buyer"),
    Field("p.hidden_facts", "Hidden facts", "table", "Facts and objections", columns=FACT_COLUMNS,
          info="topics, after, keywords: comma-separated; partial answers: separated by |"),
    Field("p.objections", "Objections", "table", "Facts and objections", columns=OBJECTION_COLUMNS,
          info="response_keywords: comma-separated"),
    # negotiation
    Field("p.negotiation.opening", "Opening counter (fraction of list)", "float", "Negotiation"),
    Field("p.negotiation.target", "Target (fraction of list)", "float", "Negotiation"),
    Field("p.negotiation.walk_away", "Walk-away: the most they pay (fraction of list)", "float", "Negotiation"),
    Field("p.negotiation.concession_step", "Concession step", "float", "Negotiation"),
    Field("p.negotiation.style", "Style", "choice", "Negotiation", choices=("firm", "steady", "generous")),
    Field("p.negotiation.asks", "Concessions they ask for (one per line)", "lines", "Negotiation"),
    Field("p.negotiation.anchor_say", "Opening counter line (with {price})", "text", "Negotiation"),
    Field("p.negotiation.counter_say", "Counter-offer line (with {price})", "text", "Negotiation"),
    Field("p.negotiation.accept_say", "Accepting line (with {price})", "text", "Negotiation"),
    Field("p.negotiation.hold_say", "Holding line", "text", "Negotiation"),
    Field("p.negotiation.walk_away_say", "Walking away line", "text", "Negotiation"),
    # buyer lines
    *(Field(f"p.lines.{name}", f"{name.replace('_', ' ').capitalize()} (one per line)", "lines", "Buyer lines")
      for name in LINE_NAMES),
)

SECTIONS = ("Drill", "Product", "Difficulty", "Buyer", "Facts and objections", "Negotiation", "Buyer lines")
assert [f.section for f in FIELDS] == sorted((f.section for f in FIELDS), key=SECTIONS.index), "FIELDS by section"
TABLE_COLUMNS = {"s.stages": STAGE_COLUMNS, "s.difficulties": LEVEL_COLUMNS, "p.hidden_facts": FACT_COLUMNS,
                 "p.objections": OBJECTION_COLUMNS}
LIST_COLUMNS = {"topics", "after", "keywords", "response_keywords", "extra_objections"}
NUMBER_COLUMNS = {"min_trust": float, "trust_delta": float, "fact_trust_delta": float, "walk_away_delta": float,
                  "opening_delta": float, "patience_delta": int, "min_response_keywords": int}


def _get(data: dict[str, Any], path: str) -> Any:
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    cur = data
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            if value is None:
                return
            nxt = cur[part] = {}
        cur = nxt
    if value is None:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def _split(part: str) -> tuple[str, str]:
    which, _, path = part.partition(".")
    return which, path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def to_form(persona: dict[str, Any], scenario: dict[str, Any]) -> list[Any]:
    """The form's values for a drill, in :data:`FIELDS` order."""
    parts = {"p": persona, "s": scenario}
    out: list[Any] = []
    for f in FIELDS:
        which, path = _split(f.key)
        value = _get(parts[which], path)
        if f.kind == "table":
            out.append(_table_rows(f.key, value))
        elif f.kind == "lines":
            out.append("\n".join(str(v) for v in value or []))
        elif f.kind == "csv":
            out.append(", ".join(str(v) for v in value or []))
        elif f.kind == "multi":
            out.append(list(value or []))
        elif f.kind == "bool":
            out.append(bool(value))
        else:
            out.append(value if value is not None else ("" if f.kind in ("text", "long") else None))
    return out


def _table_rows(key: str, value: Any) -> list[list[str]]:
    columns = TABLE_COLUMNS[key]
    if key == "s.difficulties":
        levels = value or {}
        return [[lvl, *(_cell((levels.get(lvl) or {}).get(c)) for c in columns[1:])] for lvl in LEVELS]
    rows = []
    for item in value or []:
        row = []
        for c in columns:
            cell = item.get(c)
            row.append(" | ".join(cell) if c == "partial" and isinstance(cell, list) else _cell(cell))
        rows.append(row)
    return rows


def _rows(value: Any) -> list[list[Any]]:
    """Table rows from a Gradio Dataframe value (a pandas DataFrame, a dict or a list of lists)."""
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):
        return [list(r) for r in value.values.tolist()]
    if isinstance(value, dict):
        return [list(r) for r in value.get("data", [])]
    return [list(r) for r in value]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from an empty Dataframe cell
        return ""
    return str(value).strip()


def _number(value: Any, kind: type) -> Any:
    text = _text(value)
    if not text:
        return None
    try:
        return kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
    except ValueError:
        return text  # pydantic names the field and says it is not a number


def _from_row(columns: Sequence[str], row: Sequence[Any], base: dict[str, Any]) -> dict[str, Any]:
    item = dict(base)
    for c, cell in zip(columns, row, strict=False):
        if c == "partial":
            parts = [p.strip() for p in _text(cell).split("|") if p.strip()]
            item.pop(c, None) if not parts else item.__setitem__(c, parts)
        elif c in LIST_COLUMNS:
            values = [v.strip() for v in _text(cell).split(",") if v.strip()]
            item.pop(c, None) if not values else item.__setitem__(c, values)
        elif c in NUMBER_COLUMNS:
            number = _number(cell, NUMBER_COLUMNS[c])
            item.pop(c, None) if number is None else item.__setitem__(c, number)
        else:
            text = _text(cell)
            item.pop(c, None) if not text else item.__setitem__(c, text)
    return item


def from_form(persona: dict[str, Any], scenario: dict[str, Any], values: Sequence[Any]) -> tuple[dict[str, Any],
                                                                                                  dict[str, Any]]:
    """The drill's JSON with the form's values applied (fields the form does not show are kept)."""
    parts = {"p": copy.deepcopy(persona), "s": copy.deepcopy(scenario)}
    for f, value in zip(FIELDS, values, strict=False):
        which, path = _split(f.key)
        data = parts[which]
        if f.kind == "table":
            _set(data, path, _apply_table(f.key, _get(data, path), _rows(value)))
        elif f.kind == "lines":
            _set(data, path, [ln.strip() for ln in _text(value).splitlines() if ln.strip()])
        elif f.kind == "csv":
            _set(data, path, [v.strip() for v in _text(value).split(",") if v.strip()])
        elif f.kind == "multi":
            _set(data, path, list(value or []))
        elif f.kind == "bool":
            _set(data, path, bool(value))
        elif f.kind in ("float", "int"):
            _set(data, path, _number(value, float if f.kind == "float" else int))
        else:
            text = _text(value)
            _set(data, path, text if text else None)
    negotiation = parts["p"].get("negotiation")
    if isinstance(negotiation, dict) and not any(v not in (None, "", [], "steady") for v in negotiation.values()):
        parts["p"].pop("negotiation")  # an untouched negotiation section: no profile
    return parts["p"], parts["s"]


def _apply_table(key: str, old: Any, rows: list[list[Any]]) -> Any:
    columns = TABLE_COLUMNS[key]
    if key == "s.difficulties":
        levels = dict(old or {})
        for row in rows:
            level = _text(row[0]) if row else ""
            if level in LEVELS:
                levels[level] = _from_row(columns[1:], row[1:], dict(levels.get(level) or {}))
        return levels
    by_id = {str(item.get("id")): item for item in old or [] if isinstance(item, dict)}
    out = []
    for row in rows:
        if not any(_text(c) for c in row):
            continue  # an empty row the table added
        base = by_id.get(_text(row[0]), {})
        out.append(_from_row(columns, row, {k: v for k, v in base.items() if k not in columns}))
    return out
