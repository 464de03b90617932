"""Pydantic models for the YAML content: personas (buyers) and scenarios (drills).

Every model forbids unknown fields, so a typo in a YAML file fails loudly with the file and field
named (see :mod:`simulator.content.loader`). Buyer lines are written the way the buyer would say
them, in the first person, with no instructions inside: the director speaks them as written when no
LLM is available, and an LLM only rephrases them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ObjectionType = Literal["price", "timing", "authority", "need", "trust", "competitor", "status_quo"]
ScenarioKind = Literal["discovery", "objection_handling", "negotiation"]
Difficulty = Literal["easy", "medium", "hard"]
QuestionKind = Literal["open", "any"]
Temperament = Literal["warm", "neutral", "skeptical", "guarded", "impatient"]

_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class Strict(BaseModel):
    """Base for all content: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(Strict):
    name: str
    industry: str
    size: str = Field(description="e.g. '450 employees, $80M revenue'")
    profile: str = Field(description="One or two sentences about the business.")


class BuyerLines(Strict):
    """Short lines the director picks from for moves that carry no hidden content."""

    greeting: list[str] = Field(min_length=1, description="Opening lines when the call starts.")
    small_talk: list[str] = Field(min_length=1, description="Answers to rapport and pleasantries.")
    closed_answer: list[str] = Field(
        min_length=1, description="Brief, non-committal answers to closed (yes/no) questions."
    )
    vague_answer: list[str] = Field(
        min_length=1,
        description="Answers to questions that touch no locked topic or come before trust is earned.",
    )
    deflect_pitch: list[str] = Field(min_length=1, description="Pushing back on a pitch or monologue.")
    impatient: list[str] = Field(min_length=1, description="Said when patience is running low.")
    end_call: list[str] = Field(min_length=1, description="Hanging up (patience gone or call over).")
    agree_next_step: list[str] = Field(
        min_length=1, description="Agreeing to a next step; '{when}' is replaced by the proposed time."
    )
    decline_next_step: list[str] = Field(
        min_length=1, description="Not ready to commit to a next step yet."
    )
    ask_for_time: list[str] = Field(
        min_length=1, description="Asked to meet without a concrete time: ask the rep to propose one."
    )
    thanks: list[str] = Field(min_length=1, description="Responding to thanks or a goodbye.")
    not_understood: list[str] = Field(
        default_factory=lambda: [
            "Sorry, I didn't follow that. Could you say it again, in plain English?",
            "I'm not sure what you mean. Can you rephrase that?",
        ],
        min_length=1,
        description="Said when the rep's message has no readable English words (another language, emoji only).",
    )
    deflect: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per topic id (lexicon topics): in-character ways of not answering a question on it yet, "
        "naming what was asked. Topics left out use the stock deflections (simulator/content/stock_lines.yaml).",
    )
    reflect: list[str] = Field(
        default_factory=list,
        description="Short reactions when the rep reflects the buyer's own words back ('Exactly.'). "
        "Empty: stock lines.",
    )
    deny_claim: list[str] = Field(
        default_factory=list,
        description="Said when the rep claims the buyer already agreed to something it never agreed to. "
        "Empty: stock lines.",
    )
    too_early: list[str] = Field(
        default_factory=list,
        description="Asked for an opinion or a commitment ('Does that sound like something you'd want?') "
        "before the buyer is convinced. Empty: stock lines.",
    )
    personal: list[str] = Field(
        default_factory=list,
        description="Answers to personal and off-topic questions (how long in the role, what before, the "
        "weekend, the game, the weather), in character, each naming what was asked and telling no hidden "
        "fact. Pooled with the stock ones; the one closest to the question is said.",
    )

    @model_validator(mode="after")
    def _when_placeholder(self) -> BuyerLines:
        for i, line in enumerate(self.agree_next_step):
            if "{when}" not in line:
                raise ValueError(f"agree_next_step.{i} must contain '{{when}}' (the agreed time)")
        return self


class HiddenFact(Strict):
    """Something the buyer knows and only tells a rep who earned it."""

    id: str = Field(pattern=_ID_PATTERN)
    topics: list[str] = Field(min_length=1, description="Topic ids from the lexicon that probe this fact.")
    keywords: list[str] = Field(default_factory=list, description="Extra words that probe this fact.")
    requires: QuestionKind = Field(
        default="open", description="'open': only an open question unlocks it; 'any': any question does."
    )
    min_trust: float = Field(default=0.0, ge=0.0, le=1.0, description="Trust needed before it is told.")
    say: str = Field(description="The fact as the buyer says it, first person.")
    say_also: list[str] = Field(
        default_factory=list, description="Other ways to tell the whole fact (each keeps every number in 'say')."
    )
    hint: str = Field(description="A closed-question answer that shows there is more to learn.")
    hint_also: list[str] = Field(default_factory=list, description="Other closed-question answers.")
    partial: list[str] = Field(
        default_factory=list,
        description="The middle depth: an open question on the fact's topic before trust is earned (or before "
        "the fact it builds on is told). Names the topic, keeps the detail and every number back.",
    )
    importance: Literal["key", "supporting"] = "key"
    after: list[str] = Field(
        default_factory=list,
        description="Fact ids this buyer must have told first: a deeper layer of the pain (its cost, "
        "its cause) that only a follow-up question reaches.",
    )


class Objection(Strict):
    """A concern the buyer raises; resolved only when acknowledged, explored and answered."""

    id: str = Field(pattern=_ID_PATTERN)
    type: ObjectionType
    say: str = Field(description="The objection as the buyer raises it.")
    concern: str = Field(description="The real concern behind it, told when the rep explores it.")
    response_keywords: list[str] = Field(
        min_length=1, description="Words a response must contain to address the real concern."
    )
    resolved_say: str = Field(description="What the buyer says once satisfied.")
    push_back: str = Field(description="What the buyer says when the answer misses the real concern.")
    say_also: list[str] = Field(default_factory=list, description="Other ways to raise the objection.")
    concern_also: list[str] = Field(default_factory=list, description="Other ways to tell the real concern.")
    resolved_also: list[str] = Field(default_factory=list, description="Other ways to say it is resolved.")
    push_back_also: list[str] = Field(default_factory=list, description="Other push-backs.")


class NegotiationProfile(Strict):
    """How the buyer negotiates, as fractions of the scenario's list price."""

    opening: float = Field(gt=0, le=1.5, description="The buyer's first counter-offer.")
    target: float = Field(gt=0, le=1.5, description="Where the buyer hopes to land.")
    walk_away: float = Field(gt=0, le=1.5, description="The most the buyer will pay.")
    concession_step: float = Field(gt=0, le=0.5, description="How far the buyer moves per traded concession.")
    style: Literal["firm", "steady", "generous"] = "steady"
    asks: list[str] = Field(
        min_length=1, description="Concessions the buyer asks for (e.g. 'a lower price', 'free onboarding')."
    )
    counter_say: str = Field(description="Counter-offer line; must contain '{price}'.")
    accept_say: str = Field(description="Accepting; must contain '{price}'.")
    hold_say: str = Field(description="Holding position when the rep gives nothing in return.")
    walk_away_say: str = Field(description="Ending without a deal.")
    anchor_say: str = Field(description="The buyer's opening counter; must contain '{price}'.")
    counter_also: list[str] = Field(default_factory=list, description="Other counter-offers (each with '{price}').")
    accept_also: list[str] = Field(default_factory=list, description="Other acceptances (each with '{price}').")
    hold_also: list[str] = Field(default_factory=list, description="Other ways to hold position.")
    anchor_also: list[str] = Field(default_factory=list, description="Other opening counters (each with '{price}').")

    @model_validator(mode="after")
    def _ordered(self) -> NegotiationProfile:
        if not self.opening <= self.target <= self.walk_away:
            raise ValueError("expected opening <= target <= walk_away")
        for name in ("counter_say", "accept_say", "anchor_say"):
            if "{price}" not in getattr(self, name):
                raise ValueError(f"{name} must contain '{{price}}'")
        for name in ("counter_also", "accept_also", "anchor_also"):
            for i, line in enumerate(getattr(self, name)):
                if "{price}" not in line:
                    raise ValueError(f"{name}.{i} must contain '{{price}}'")
        return self


class VoiceSetting(Strict):
    """How this buyer sounds in voice practice."""

    engine: Literal["auto", "piper", "espeak"] = "auto"
    voice: str = Field(default="en-us", description="Engine-specific voice name, e.g. 'en-us+f3'.")
    rate: float = Field(default=1.0, gt=0.3, lt=3.0, description="1.0 = normal speed.")


class Persona(Strict):
    """A buyer: who they are, what they know, how they talk, what they object to."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str
    role: str
    company: Company
    temperament: Temperament = "neutral"
    personality: str
    style: str = Field(description="How they speak: sentence length, formality, verbal habits.")
    priorities: list[str] = Field(min_length=1)
    pains: list[str] = Field(min_length=1)
    hidden_facts: list[HiddenFact] = Field(min_length=1)
    objections: list[Objection] = Field(default_factory=list)
    decision_criteria: list[str] = Field(default_factory=list)
    decision_process: str = ""
    lines: BuyerLines
    negotiation: NegotiationProfile | None = None
    voice: VoiceSetting = Field(default_factory=VoiceSetting)
    base_trust: float = Field(default=0.3, ge=0.0, le=1.0)
    base_patience: int = Field(default=8, ge=1, le=30, description="Rep turns of poor value tolerated.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Persona:
        for label, ids in (("hidden_facts", [f.id for f in self.hidden_facts]),
                           ("objections", [o.id for o in self.objections])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {label} ids: {', '.join(dupes)}")
        return self

    def fact(self, fact_id: str) -> HiddenFact | None:
        """The hidden fact with this id, if any."""
        return next((f for f in self.hidden_facts if f.id == fact_id), None)

    def objection(self, objection_id: str) -> Objection | None:
        """The objection with this id, if any."""
        return next((o for o in self.objections if o.id == objection_id), None)


class Product(Strict):
    name: str
    summary: str
    value_points: list[str] = Field(min_length=1)
    proof_points: list[str] = Field(default_factory=list)
    list_price: float = Field(gt=0, description="List price in the currency below.")
    currency: str = "USD"
    price_unit: str = Field(default="per year", description="e.g. 'per year', 'one-off'.")


class Stage(Strict):
    id: str = Field(pattern=_ID_PATTERN)
    goal: str = Field(description="What the rep should achieve in this stage (shown to the rep).")


class SuccessCriteria(Strict):
    """What counts as a successful call. Only the fields relevant to the scenario kind are set."""

    min_facts: int | None = Field(default=None, ge=0, description="Hidden facts to uncover.")
    next_step_with_time: bool = Field(default=False, description="Book a next step with a concrete time.")
    min_objections_resolved: int | None = Field(default=None, ge=0)
    min_price_fraction: float | None = Field(
        default=None, gt=0, le=1.5, description="Close at or above this fraction of list price."
    )
    all_concessions_traded: bool = Field(
        default=False, description="Every concession the rep gave was traded for something."
    )
    deal_required: bool = False


class DifficultyVariant(Strict):
    """How a difficulty level changes the buyer (added to the persona's base values)."""

    trust_delta: float = Field(default=0.0, ge=-1, le=1)
    patience_delta: int = Field(default=0, ge=-20, le=20)
    fact_trust_delta: float = Field(
        default=0.0, ge=-1, le=1, description="Added to every hidden fact's min_trust."
    )
    walk_away_delta: float = Field(default=0.0, ge=-0.5, le=0.5, description="Shifts the buyer's walk-away.")
    opening_delta: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Shifts the buyer's opening counter-offer."
    )
    extra_objections: list[str] = Field(
        default_factory=list,
        description="Persona objection ids raised after the scenario's own at this difficulty.",
    )
    min_response_keywords: int = Field(
        default=1, ge=1, le=5,
        description="How many of an objection's response keywords an answer must cover to resolve it.",
    )
    description: str = Field(description="What the rep will feel, shown before practising.")


def _default_variants() -> dict[Difficulty, DifficultyVariant]:
    return {
        "easy": DifficultyVariant(trust_delta=0.15, patience_delta=3, fact_trust_delta=-0.1,
                                  walk_away_delta=0.03, opening_delta=0.03,
                                  description="A friendlier buyer: more patient and quicker to trust."),
        "medium": DifficultyVariant(description="The buyer as written."),
        "hard": DifficultyVariant(trust_delta=-0.1, patience_delta=-3, fact_trust_delta=0.1,
                                  walk_away_delta=-0.03, opening_delta=-0.03, min_response_keywords=2,
                                  description="A guarded buyer: less patient, slower to trust, firmer on "
                                              "price, wants specific answers."),
    }


class Scenario(Strict):
    """A drill: who the rep calls, what they sell, what they must achieve."""

    id: str = Field(pattern=_ID_PATTERN)
    title: str
    kind: ScenarioKind
    industry: str
    persona: str = Field(description="Default persona id.")
    allowed_personas: list[str] = Field(
        default_factory=list, description="Other persona ids this drill also works with."
    )
    product: Product
    brief: str = Field(description="The rep's brief, shown before the call.")
    objective: str = Field(description="The one-sentence objective.")
    stages: list[Stage] = Field(min_length=1)
    competencies: list[str] = Field(min_length=1, description="Rubric competency ids this drill trains.")
    objections: list[str] = Field(
        default_factory=list, description="Persona objection ids raised in this drill, in order."
    )
    success: SuccessCriteria
    turn_cap: int = Field(default=20, ge=2, le=80)
    difficulties: dict[Difficulty, DifficultyVariant] = Field(default_factory=_default_variants)

    @model_validator(mode="after")
    def _kind_has_criteria(self) -> Scenario:
        s = self.success
        if self.kind == "discovery" and s.min_facts is None:
            raise ValueError("a discovery scenario needs success.min_facts")
        if self.kind == "objection_handling" and s.min_objections_resolved is None:
            raise ValueError("an objection_handling scenario needs success.min_objections_resolved")
        if self.kind == "objection_handling" and not self.objections:
            raise ValueError("an objection_handling scenario needs objections")
        if self.kind == "negotiation" and s.min_price_fraction is None:
            raise ValueError("a negotiation scenario needs success.min_price_fraction")
        return self

    def persona_ids(self) -> list[str]:
        """The default persona first, then the other allowed ones."""
        return [self.persona, *[p for p in self.allowed_personas if p != self.persona]]
