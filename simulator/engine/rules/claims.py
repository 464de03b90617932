"""False claims: the rep says the buyer already agreed, said or committed to something it never did.

The buyer only holds what its state records: a deal (``deal_price``), a next step (``next_step``),
its own offers (``buyer_offer``), the facts it has told and the objections it has raised. A rep who
says "You already agreed to a 50% discount… Confirm it.", "As we agreed last week, you'll sign by
Friday, right?" or "Per our call you said budget is $80k" claims something the state does not hold:
the buyer denies it, in character ("I don't remember agreeing to that."), and nothing is agreed.

A claim is one of:

- an agreement or commitment attributed to the buyer or to "we" ("you already agreed", "we agreed",
  "your CEO approved", "as promised", "per our agreement");
- words attributed to the buyer ("you said", "you told me") that carry a number the buyer never said,
  a commitment ("…you'd sign by Friday"), or a past meeting ("per our call", "last week");
- a past meeting ("per our call…") with a number the buyer never said or a commitment of the buyer's.

It is *backed*, and left to the other rules, when the state holds it: every number in it is one the
buyer said (a told fact, a raised objection, its offer, the deal); a deal or price claim once a deal
is agreed; a meeting claim once a next step is booked; words the buyer did say ("you said the
spreadsheet works") share enough words with what it told. Conditions ("if you agreed…") and
questions ("have you agreed…?") are not claims.
"""

from __future__ import annotations

import re

from simulator.content.stock import stock_lines
from simulator.engine import lexicon
from simulator.engine.rules.choose import line_key
from simulator.engine.rules.turn import Turn
from simulator.engine.understand import RepAnalysis
from simulator.understanding import phrases
from simulator.understanding.text import STOPWORDS, content_words, normalise, visible_text
from simulator.understanding.values import amounts

DEFAULT_DENIALS: tuple[str, ...] = (
    "I don't remember agreeing to that.",
    "Hold on, I never agreed to that.",
    "That's not something I said. Let's stick to what we've actually discussed.",
    "No, I haven't committed to anything yet.",
)
"""The last fallback when neither the persona (``lines.deny_claim``) nor the stock lines have a denial."""

_SUBJECT = (
    r"(?:you|you've|you have|you'd|you had|you both|we|we've|we have|we'd|we had|we both|you and i|you guys"
    r"|your (?:team|ceo|cfo|coo|cto|ciso|boss|board|company|manager|director|accountant|it team|procurement"
    r"|legal|finance|committee|owner|office))"
)
_ADVERBS = (
    r"(?:\s+(?:already|previously|just|both|all|basically|essentially|verbally|officially|definitely|clearly"
    r"|literally|totally|pretty much|more or less|in principle|on the phone|over email|last week|yesterday))*"
)
_AGREE_VERB = (
    r"(?:agreed|committed|promised|accepted|approved|signed off|signed|okayed|ok'd|okay'd|green-?lit"
    r"|greenlighted|settled on|locked in|shook hands|said yes|gave (?:me|us) (?:the|your) (?:go-ahead|go ahead"
    r"|green light|ok|okay|nod|word|verbal)|decided to (?:buy|sign|go ahead|move forward|renew|proceed))"
)
_AGREED = re.compile(rf"(?<![a-z']){_SUBJECT}{_ADVERBS}\s+{_AGREE_VERB}(?![a-z])")
_AGREED_PHRASES = re.compile(
    r"(?<![a-z'])(?:as (?:we |you )?agreed|as (?:you )?promised|like you (?:promised|agreed|said you would)"
    r"|per our agreement|our (?:verbal |earlier |previous )?agreement|the deal we (?:made|struck|agreed|shook on)"
    r"|we already have a deal|we had a deal|you gave (?:me|us) your word|(?:that's|that is|it's|it is|that was"
    r"|it was) (?:already )?(?:agreed|approved|signed off|settled|confirmed)|already (?:agreed|approved|signed"
    r"|committed|confirmed)|(?:you're|you are) already (?:committed|signed up|on board)|verbal (?:yes|commitment"
    r"|agreement|ok|okay|approval)|handshake (?:deal|agreement))(?![a-z])"
)
_SAID = re.compile(
    r"(?<![a-z'])(?:you|you've|you have|your (?:ceo|cfo|boss|team|board|manager))(?:\s+(?:already|clearly|yourself"
    r"|literally|just|even|explicitly|specifically))*\s+(?:said|told (?:me|us)|mentioned|stated|indicated|shared"
    r"|wrote|emailed|confirmed|assured (?:me|us)|let (?:me|us) know|gave (?:me|us))(?![a-z])"
)
_COMMITMENT = re.compile(
    r"(?<![a-z'])(?:you'd|you would|you will|you'll|you were going to|you're going to|you are going to|you could"
    r"|you can|we'd|we would|we will|we'll|she'd|he'd|they'd)\s+(?:\w+\s+){0,2}?(?:sign|buy|renew|approve|move ahead"
    r"|move forward|go ahead|commit|pay|purchase|close|meet|book|accept|take it|get it approved|proceed|order"
    r"|start|do the deal|do it|recommend|introduce|champion|sponsor|push|back|put|send|share|set up|schedule"
    r"|invite|bring|loop|get)(?![a-z])"
)
_OWN_PAST = (
    "last week", "last month", "last time", "yesterday", "the other day", "earlier this week", "last monday",
    "last tuesday", "last wednesday", "last thursday", "last friday", "per our", "as per our", "in our last",
    "on our last", "our previous", "our earlier", "in your email", "in your last email", "your email",
    "at the conference", "at the trade show", "at the demo", "over lunch", "over coffee", "over drinks",
    "on the phone", "in the meeting", "on monday's call", "on friday's call", "before this call",
    "on our call", "on the call last", "in our chat",
)
_PAST_MARKERS: tuple[str, ...] = (
    *(p for p in phrases.PAST_MEETING
      if any(w in p for w in ("last", "met", "previous", "earlier", "demo", "spoke", "talked"))),
    *_OWN_PAST,
)
_PAST = re.compile(r"(?<![a-z'])(?:" + "|".join(sorted(map(re.escape, _PAST_MARKERS), key=len, reverse=True))
                   + r")(?![a-z'])")
_STRONG_PAST = re.compile(r"(?<![a-z'])(?:(?:as )?per (?:our|your) (?:\w+ )?(?:call|conversation|discussion|meeting"
                          r"|email|chat|talk|agreement)|as (?:we )?discussed (?:last|yesterday|on|in|at|before)"
                          r"|like we discussed (?:last|yesterday|on|in|at|before))(?![a-z])")
_CONDITION = re.compile(r"(?<![a-z'])(?:if|when|once|unless|whether|assuming|after|before|until|in case|suppose"
                        r"|supposing|imagine|what if)\s+(?:\w+\s+){0,2}$")
_QUESTION = re.compile(r"(?<![a-z'])(?:have|has|had|did|do|does|were|are|was|would|could|can|will)\s+$")
_DEAL_WORDS = re.compile(
    r"(?<![a-z])(?:sign|signed|signing|signature|contract|deal|purchase|buy|bought|purchase order|order form"
    r"|discount|price|pricing|percent|renew|renewal|terms|budget|pay|payment|license|licence|seats|invoice"
    r"|\$|%)(?![a-z])"
)
_MEET_WORDS = re.compile(
    r"(?<![a-z])(?:meeting|meet|demo|next step|next steps|invite|session|workshop|pilot|trial|follow-up"
    r"|follow up|intro|introduction|calendar|walkthrough|deep dive|minutes with|time with)(?![a-z])"
)
_SENTENCE = re.compile(r"(?:[^.!?;\n…]|[.!?](?=\S))+(?:[.!?;\n…]+|$)")
"""A sentence: up to a stop followed by a space or the end ('9.4' and '$1.5k' stay whole)."""
_ASKS = re.compile(r"^\W*(?:so |and |but |ok |okay |just |quick question )?(?:is|are|was|were|has|have|had|did|do|does"
                   r"|can|could|will|would|should|shall)(?![a-z'])")
"""A sentence that starts with an auxiliary verb asks ('Is the budget already approved?'); it claims nothing."""
_THIRD_PARTY = re.compile(r"^\s+(?:for|with (?!us\b|me\b)|up\b|on to (?!us\b)|off on (?:the|your|their|a)\b)")
"""'You already signed *for* the system / *with* the other vendor': about someone else, not about this rep."""
_CLAUSE_BREAK = re.compile(r",\s|\s[-–—]\s|:\s|\s(?:and|but|so|then|because|since|which means)\s")
_CONTINUES = re.compile(r"^\W*(?:you|you'll|you'd|you're|you've|your|that|that's|which|it|it's|a|an|the|to|\$|\d"
                        r"|right|correct|confirm|ok|okay|yes|yeah|agreed|remember)(?![a-z'])")
"""A clause after the claim that carries on with it ('as we agreed last week, *you'll sign by Friday*')."""
_REP_SPEAKS = re.compile(r"(?<![a-z'])(?:i|i'll|i'd|i'm|i've|my|me|we're|we are|we can|we could|we'll|our price"
                         r"|our offer)(?![a-z'])")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent|per cent)")
_BARE = re.compile(r"(?<![\d.,/:$€£])(\d+(?:,\d{3})*(?:\.\d+)?)(?!\d|,\d|\.\d)"
                   r"(?!\s?(?:am|pm|a\.m|p\.m|:\d|/|st|nd|rd|th|%|k\b|percent|per cent))")
_CLAIM_WORDS = frozenset({
    "agreed", "said", "told", "mentioned", "confirmed", "promised", "committed", "already", "remember", "last",
    "week", "call", "conversation", "meeting", "earlier", "previous", "yesterday", "confirm", "correct", "right",
    "per", "discussed", "spoke", "talked", "email", "shared", "stated", "indicated", "approved", "accepted",
    "time", "when", "met", "just", "okay", "yes", "true",
})


def numbers_of(text: str, list_price: float | None = None) -> set[tuple[str, float]]:
    """Money amounts, percentages and plain counts in a text, as ('money' | 'percent' | 'count', value):
    '$80k' → ('money', 80000), '50%' → ('percent', 50), '15 hours' → ('count', 15)."""
    low = normalise(text)
    found = {("money", a.value) for a in amounts(text, list_price)}
    found |= {("percent", float(m.group(1))) for m in _PERCENT.finditer(low)}
    for m in _BARE.finditer(low):
        raw = m.group(1).replace(",", "")
        if raw and not (len(raw) == 4 and raw[:2] in ("19", "20")):
            value = float(raw)
            if not any(kind == "money" and abs(v - value) < 0.5 for kind, v in found):
                found.add(("count", value))
    return found


def _known(number: tuple[str, float], known: set[tuple[str, float]]) -> bool:
    """A number the buyer said, of any kind but a percentage for money; also in shorthand ('you said 47'
    for $47,000)."""
    kind, value = number
    for known_kind, k in known:
        if {kind, known_kind} == {"percent", "money"}:
            continue
        if abs(value - k) < 0.5 or (kind == "count" and known_kind == "money" and abs(value * 1_000 - k) < 0.5):
            return True
    return False


def _said_lines(t: Turn) -> list[str]:
    """The persona's and the stock lines the buyer has said this call (by ``lines_said``, else by kind)."""
    lines, stock = t.ctx.persona.lines, stock_lines()
    every: list[str] = []
    for source in (lines, stock):
        for value in source.model_dump().values():
            if isinstance(value, list):
                every += [v for v in value if isinstance(v, str)]
            elif isinstance(value, dict):
                every += [v for options in value.values() for v in options if isinstance(v, str)]
    said = t.s.get("lines_said")
    if said is not None:
        keys = set(said)
        return [line for line in every if line_key(line) in keys]
    return [line for kind in t.s["lines_used"] for line in getattr(lines, kind, None) or () if isinstance(line, str)]


def told_text(t: Turn) -> str:
    """What the rep may know by the buyer's state: the drill's brief, the lines the buyer has said, the facts
    told or hinted (with their topic words), the objections raised and, once explored, their concerns."""
    persona, s = t.ctx.persona, t.s
    parts: list[str] = [t.ctx.scenario.brief, *_said_lines(t)]
    for fact in persona.hidden_facts:
        if fact.id in s["facts_revealed"]:
            parts += [fact.say, *fact.say_also, " ".join(fact.topics), " ".join(fact.keywords)]
            for topic in fact.topics:
                parts.append(" ".join(lexicon.TOPICS.get(topic, ())))
        if fact.id in s["facts_hinted"] or fact.id in s["facts_revealed"]:
            parts += [fact.hint, *fact.hint_also]
    for objection in persona.objections:
        if objection.id in s["objections_raised"]:
            parts += [objection.say, *objection.say_also]
            progress = s["objection_progress"].get(objection.id)
            if progress and progress.get("explored"):
                parts += [objection.concern, *objection.concern_also]
        if objection.id in s["objections_resolved"]:
            parts += [objection.resolved_say, *objection.resolved_also]
    return "\n".join(parts)


def _sentences(low: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(low)]


def _claim_spans(low: str) -> list[tuple[str, re.Match[str]]]:
    """Each claim in the message with its kind ('agreed', 'said', 'past'); conditions and questions dropped."""
    spans = _sentences(low)
    found: list[tuple[str, re.Match[str]]] = []
    for kind, pattern in (("agreed", _AGREED), ("agreed", _AGREED_PHRASES), ("said", _SAID),
                          ("past", _STRONG_PAST)):
        for m in pattern.finditer(low):
            sentence_start = next((a for a, b in spans if a <= m.start() < b), 0)
            clause_start = max([sentence_start, *(low.rfind(mark, sentence_start, m.start()) + len(mark)
                                                  for mark in (", ", "; ", " - ", " — ") if
                                                  low.rfind(mark, sentence_start, m.start()) >= 0)])
            if _CONDITION.search(low[clause_start : m.start()]) or _ASKS.match(low[sentence_start:]):
                continue
            if _QUESTION.search(low[max(0, m.start() - 8) : m.start()]):
                continue
            if kind == "agreed" and _THIRD_PARTY.match(low[m.end() :]):
                continue
            found.append((kind, m))
    return found


def _claim_region(low: str, match: re.Match[str]) -> tuple[str, str]:
    """What the claim says: its clause and the clauses that carry it on, plus a short number-free follow-on
    sentence ('Confirm it.'); the rep's own clauses ('…, I can do $42,000') are left out. Returned twice:
    as written, and without the claim's own words (so 'signed' in 'you signed' is not read as deal talk)."""
    spans = _sentences(low)
    start, end = 0, len(low)
    follow = ""
    for i, (a, b) in enumerate(spans):
        if a <= match.start() < b:
            start, end = a, b
            if i + 1 < len(spans):
                nxt = low[spans[i + 1][0] : spans[i + 1][1]]
                if len(nxt.split()) <= 6 and not re.search(r"\d", nxt):
                    follow = nxt
            break
    kept: list[str] = []
    at, reached = start, False
    for piece in _CLAUSE_BREAK.split(low[start:end]):
        here = low.find(piece, at)
        if here < 0:
            continue
        at = here + len(piece)
        if not reached:
            if here <= match.start() < at + 1:
                reached = True
                kept.append(piece)
            continue
        if not _CONTINUES.match(piece) or _REP_SPEAKS.search(piece):
            break
        kept.append(piece)
    region = " ".join([*kept, follow]).strip()
    return region, region.replace(match.group(0), " ", 1)


def false_claim(t: Turn, rep_text: str) -> str | None:
    """Why the rep's message claims something the buyer never agreed to or said, or None."""
    low = normalise(visible_text(rep_text))
    claims = _claim_spans(low)
    if not claims:
        return None
    s = t.s
    list_price = s["list_price"]
    told = told_text(t)
    known = numbers_of(told, list_price) | {("money", v) for v in (s["buyer_offer"], s["deal_price"]) if v is not None}
    told_words = content_words(told)
    for kind, m in claims:
        region, rest = _claim_region(low, m)
        unknown = {n for n in numbers_of(region, list_price) if not _known(n, known)}
        if unknown:
            shown = ", ".join(f"{v:,.0f}" + ("%" if kind == "percent" else "") for kind, v in sorted(unknown))
            return f"the rep claims ({m.group(0)!r}) the buyer said or agreed to {shown}, a number it never said"
        commits = _COMMITMENT.search(region)
        deal_talk = bool(_DEAL_WORDS.search(rest)) or bool(commits and not _MEET_WORDS.search(commits.group(0)))
        meet_talk = bool(_MEET_WORDS.search(rest))
        claim_words = content_words(rest) - _CLAIM_WORDS - STOPWORDS
        said_it = bool(claim_words) and len(claim_words & told_words) >= min(2, len(claim_words))
        if kind == "agreed" or commits:
            if deal_talk and s["deal_price"] is None:
                return f"the rep claims an agreement ({m.group(0)!r}) but no deal is agreed"
            if meet_talk and s["next_step"] is None and s["deal_price"] is None:
                return f"the rep claims an agreement ({m.group(0)!r}) but no next step is booked"
            if not deal_talk and not meet_talk and s["deal_price"] is None and s["next_step"] is None and not said_it:
                return f"the rep claims an agreement ({m.group(0)!r}) the buyer never made"
            continue
        if kind == "said" and not _PAST.search(region) and not re.search(r"(?<![a-z])already(?![a-z])", m.group(0)):
            continue
        if kind == "said" and not said_it:
            return f"the rep attributes words to the buyer ({m.group(0)!r}) that it never said"
    return None


def answer_false_claim(t: Turn, a: RepAnalysis, rep_text: str) -> bool:
    """Deny a claim the buyer's state does not back. True when the buyer's line is decided.

    Changes nothing but the line: no deal, no next step, no price, no fact. Wire it before the
    drill's own rules so a claimed price is never read as an offer to accept.
    """
    if not a.get("understood", True):
        return False
    why = false_claim(t, rep_text)
    if why is None:
        return False
    options = t.ctx.persona.lines.deny_claim or stock_lines().deny_claim or list(DEFAULT_DENIALS)
    t.say("answer", t.pick_line("deny_claim", options), why)
    return True
