"""First readings of each yes/no label from the message's form, with the words that decided them.

The learned models (``classifier.py``) take these readings as features beside the sentence
embedding; alone they are the fallback when no model file is installed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from simulator.understanding import phrases
from simulator.understanding.definitions import BOOLEAN_LABELS, MONOLOGUE_WORDS, PITCH_MIN_WORDS
from simulator.understanding.questions import QuestionReading
from simulator.understanding.text import normalise
from simulator.understanding.times import concrete_time
from simulator.understanding.values import OWN_NUMBER_HELD, Amount, comparable_value


@functools.lru_cache(maxsize=256)
def phrase_pattern(items: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a phrase list: whole words, longest first."""
    alternation = "|".join(map(re.escape, sorted(items, key=len, reverse=True)))
    return re.compile(rf"(?<![a-z0-9'-])(?:{alternation})(?![a-z'-])")


def find_phrase(text: str, items: Iterable[str]) -> str | None:
    """The leftmost phrase of the list in the normalised text, or None."""
    match = phrase_pattern(tuple(items)).search(text)
    return match.group(0) if match else None


def all_phrases(text: str, items: Iterable[str]) -> list[str]:
    """Every phrase of the list in the text, in order, once each."""
    return list(dict.fromkeys(phrase_pattern(tuple(items)).findall(text)))


_TERM_TRADE = re.compile(
    r"\b(?:on|with|for|over) (?:a |the )?(?:one|two|three|four|five|multi|\d+)[- ]?(?:year|yr|month)s?"
    r"(?: (?:term|deal|commitment|contract|agreement|renewal))?\b"
    r"|(?:^|(?<=[.!?:;]\s)|\btell you what,?\s|\bhere's (?:the deal|what i can do)[:,]?\s)(?:just |you )?(?:sign|commit"
    r"|add|bundle|prepay|pay|put|bring|move|give me|get me|double|triple|bump|extend|upgrade|lock|take"
    r"|meet me|you sign|go to|go for|take the|make it|send me|raise|host|quote us|let us|agree to)\b[^.?!]{3,80}?"
    r"(?:\b(?:and|then)\b|,\s?(?:i'll|we'll|i can|we can|it's|you get|that gets|the\b))"
    r"|\b(?:all i'd ask|all i ask|all we'd ask|i just need|we just need|just need (?:the|a|you)"
    r"|worth \d+ ?(?:%|percent) to (?:me|us)|assuming (?:we|you|the|your)|provided (?:the|your|legal|procurement|we)"
    r"|(?:it|that) (?:has|would have|'d have|'d need|would need|needs) to (?:be|come with) (?:a |on a )"
    r"|what i need (?:from|is)|need from (?:you|your side)|(?:that|this|it) gets you|then we're talking"
    r"|with (?:a |the )?(?:\d|one|two|three)[- ]?(?:year|yr)s? signed)\b|(?:->|→)"
)
"""A concession tied to a longer term ('on a two year, 47 is doable') or an imperative ('sign X and…')."""
_COURTESY_CALL = re.compile(
    r"\b(?:(?:for )?(?:taking|take|took|jumping on|hopping on|making time for|getting on) (?:the|this|my|a) call"
    r"|(?:pleasure|nice|great|good|lovely) to (?:meet|e-meet)(?: you)?|meet (?:you )?(?:halfway|in the middle)"
    r"|(?:your|his|her) calendar|(?:after|from|during|since|on) (?:the|this|our|today's) call(?! (?:on|at|with|next))"
    r"|(?:eat|take up|use) (?:your|the) (?:whole )?slot)\b"
)
"""Courtesies that name a call or meeting without proposing one ('thanks for taking the call')."""
_EXPLAIN_NOW = re.compile(
    r"\b(?:(?:do you |would you )?want me to|shall i|should i|can i|could i|let me|happy to|i can|i could)"
    r" (?:quickly |briefly |just )?(?:walk (?:you )?through|run (?:you )?through|go through|explain|show you)"
    r" (?:how|what|why|where|the way|that|this|it)\b"
)
"""'Do you want me to walk through how fail-open works?': explaining now, on this call, not a follow-up (it becomes
one with a time or a meeting word: 'happy to walk you through how it works on a call thursday')."""
_WORKS_FOR = re.compile(r"\b(?:work|works|suit|suits|free|available|good for you|open|still on|okay for you"
                        r"|ok for you)\b")
_PRODUCT_SUBJECT = re.compile(
    r"(?:^|[.!?:] |, |\bso |\bwith |\bthat |\bwhat )(?:um |uh |so )?([a-z]{4,}) (?:also |just |basically |actually )?"
    r"(?:is|has|gives|routes|connects|ties|turns|sits|reads|tracks|pulls|flags|scores|works|helps|lets|plugs|integrates"
    r"|keeps|covers|does|handles|shows|sends|predicts|catches|finds|cuts|saves|runs|replaces|learns|syncs|builds|puts"
    r"|takes|makes|writes|was built|went live|goes live)\b"
)
_PROOF = re.compile(
    r"\b(?:customers?|clients?|teams|(?:a|one) (?:[a-z-]+ ){0,3}(?:system|union|chain|distributor|company|bakery"
    r"|bakeries"
    r"|shipper|hospital|group|grocer|manufacturer|3pl|fleet|team|retailer|maker))\b.{0,80}?\b(?:cut|cuts|saved|saves"
    r"|went from|dropped|reduced|saw|see|sees|tell us|moved|went live|forecast|doubled|halved)\b"
)
"""Customer proof ('a credit union with 150,000 members went from…', 'our customers usually see…')."""


def _product_subject(low: str) -> str | None:
    """A product name doing something ('flowdesk routes every exception…'), names being uncommon words."""
    from simulator.understanding.values import is_name

    for m in _PRODUCT_SUBJECT.finditer(low):
        if is_name(m.group(1)):
            return m.group(1)
    return None


_FAREWELL_WISH = re.compile(r"\bhave an? (?:good|great|lovely|nice) (?:morning|afternoon|evening)\b")
_START_GREETING = re.compile(r"^\W*(?:good )?(?:morning|afternoon|evening)\b[!,. ]|^\W*(?:yo|heyy+|hii+|hola|howdy)\b")
_BEFORE_I_GO = re.compile(r"\bbefore i (?:let you go|go|hang up|forget)\b")
_TAKE_CARE_OF = re.compile(r"\btake care of\b")
"""'Does that take care of it?' is not a farewell."""


@dataclass
class RuleReading:
    """Rule labels with reasons, and the numeric features handed to the learned models."""

    labels: dict[str, bool] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    features: list[float] = field(default_factory=list)


FEATURE_NAMES: tuple[str, ...] = (
    "rule_next_step",
    "rule_concession",
    "rule_asks_in_return",
    "rule_acknowledges",
    "rule_is_pitch",
    "rule_greeting",
    "rule_thanks_or_goodbye",
    "rule_ends_call",
    "q_open",
    "q_closed",
    "q_none",
    "has_time",
    "rep_prices",
    "other_prices",
    "discount",
    "log_words",
    "we_share",
    "pitch_phrases",
    "question_mark",
    "trade_phrase",
    "next_step_noun",
    "proposal_phrase",
    "past_meeting",
    "below_list",
    "greeting_at_start",
    "thanks_phrase",
    "ack_phrase",
    "ends_phrase_last",
    "benefit_claims",
    "pitch_length",
    "restates",
    "and_then_offer",
    "negation",
    "echo_count",
    "echo_share",
    "you_first",
    "feeling_words",
    "we_sentences",
    "first_is_question",
    "product_subject",
    "customer_proof",
)

_FEELING = re.compile(
    r"\b(?:wary|nervous|worried|worry|worries|frustrat\w*|tough|hard|painful|pain|stressful|risk\w*|burned|burnt|sting"
    r"|fair|makes sense|no wonder|anyone|of course|understandable|get (?:it|that|why)|hear you|i'd be|me too|real"
    r"|rough|annoying|last thing|the worst|skeptical|sceptical|cautious|concern\w*|big ask|a lot to|sounds like"
    r"|must be|can't be easy|not easy|i see why|i can see|that's a)\b"
)
_STOP_ECHO = frozenset(
    [
        "that", "this", "with", "have", "your", "about", "what", "would", "there", "their", "they", "them", "just",
        "really", "like", "know", "think", "going", "want", "need", "make", "take"
    ]
)


_DEADLINE = re.compile(
    r"\b(?<!for )(?<!for e-)(?:signed|countersigned|sign(?:ature)?|in writing|back)\b[^.?!]{0,30}?\bby"
    r" (?:the |this |next |end of )?"
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|\d{1,2}(?:st|nd|rd|th)\b|(?:jan|feb|mar|apr|may|jun|jul"
    r"|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?\b)"
)
"""A deadline for the buyer's signature or paperwork ('the signed order form by friday', 'countersigned by the
20th', 'in writing by the 20th'): not a meeting proposed (docs/understanding.md: a signing deadline inside a trade
is not a next step)."""


_RESTATED = re.compile(
    r"\b(?:i'm at|we're at|i am at|we are at|stands|still|usually|ballpark|typically|normally|same as|talked about"
    r"|we agreed|you've got|recap|to confirm|where we landed|we landed|like i said|as i said)\b[^.?!]{0,30}$"
    r"|\b(?:can't|cannot|can not|won't|not) go(?: is)? (?:any )?(?:below|under|lower than|lower)\s?\$?$"
    r"|\blast year's (?:[a-z]+ )?(?:was|were)\s?\$?$"
)
"""An amount the rep restates ('my offer from last week stands: 228k', 'so you're at 43 and i'm at 47.5') or
describes as usual pricing is not a new concession."""


_NEGATED = re.compile(
    r"\b(?:don't|dont|do not|doesn't|won't|wont|will not|can't|cant|cannot|not|no|never|unable to)"
    r"(?: [a-z']+){0,3} $"
    r"|\b(?:i'd|we'd|i would|we would) rather not(?: [a-z']+){0,2} $"
    r"|\b(?:not|n't|never|unable)(?: really| just)? (?:in a position|in any position|able|allowed|authori[sz]ed"
    r"|willing|prepared|going|gonna|about|empowered|permitted)(?: to)?(?: [a-z']+){0,2} $"
)
"""A concession word said as a refusal ('we don't discount', 'not gonna cut the price', 'I can't drop the
price')."""


def _unnegated(low: str, hits: list[str]) -> list[str]:
    """The concession phrases said at least once without a negation just before them in their clause."""
    kept = []
    for hit in hits:
        for m in phrase_pattern((hit,)).finditer(low):
            clause = re.split(r"[.,;:!?]|\bbut\b", low[max(0, m.start() - 40) : m.start()])[-1]
            if not _NEGATED.search(clause):
                kept.append(hit)
                break
    return kept


_NOT_A_GIVE = re.compile(
    r"\bcredit unions?\b|\bon us to (?:fix|sort|own|make|get)\b"
    r"|\block (?:in )?(?:a |the |some )?(?:[a-z-]+ )?(?:time|slot|session|call|meeting|demo|date|workshop)\b"
    r"|\block in (?:tomorrow|today|next|mon|tue|wed|thu|fri)[a-z]*\b"
    r"|\bi(?:'ll| can| could) do is (?:send|walk|set|book|get|share|put|bring|introduce|ask|run|show)\b"
)
"""Concession words that give nothing: 'credit unions', 'let's lock in tomorrow at 4', 'what I'll do is send a
hold for March 4th'."""


_GIVE = re.compile(
    r"\bfree (?:install\w*|setup|set-up|onboarding|training|months?|seats?|support|upgrade|pilot|trial|migration"
    r"|licen[cs]es?|hardware|sensors|screens)\b"
    r"|\b(?:onboarding|install\w*|setup|set-up|training|migration|hardware|support)(?:'s| is| are) (?:free|on us"
    r"|on the house|included at no)\b"
    r"|\b(?:first|1st|second|last) (?:month|quarter|two months|three months|3 months|2 months)(?:'s| is| are)? "
    r"(?:free|on us|half price|half-price)\b"
    r"|\b(?:halve|half off)\b|\b(?:push|defer|move) (?:the|your) (?:start|billing|first invoice)"
    r"|\bfreeze (?:the|your|this year's|the current)|\bhold (?:this year's|the current|the 20\d\d|today's)"
    r"|\b(?:per seat|per truck|per user|per site|price) (?:drops|comes down|goes down) (?:to|from)\b"
)
"""A give in words the phrase list does not hold: 'the first quarter is free', 'I'll halve the onboarding fee',
'hold this year's pricing', 'per seat drops to 38'."""


_NEXT_STEP_FORMS = re.compile(
    r"\b(?:send|sending|get|email|shoot|put)\b[^.?!]{0,40}\bfor (?:your |his |her |their )?(?:e-?)?signature\b"
    r"|\b(?:contract|order form|msa|paperwork|agreement|docusign)(?:'s| is) on (?:its|the) way\b"
    r"|\bsend (?:the |over the |you the )?(?:docusign|e-?sign\w*)\b"
    r"|\bwhat (?:day|time|date)s? (?:works?|suits?|is best|would (?:work|suit))\b"
    r"|\bwhen(?:'s| is| would be) (?:good|best|a good time|convenient)\b|\bwhen works\b"
    r"|\bsend (?:me |over |you )?(?:a few|some|a couple of) (?:times|slots)\b|\b(?:a few|some) times that work\b"
    r"|\b(?:let me|i'll|i will) (?:hold|block out|put a hold (?:on|in))(?: (?:a slot|some time|time|your calendar|the"
    r" date))?(?: for| on)? (?:next |this )?(?:mon|tue|wed|thu|fri|tomorrow|tmrw|the \d|\d{1,2}/"
    r"|\d{1,2}(?::\d\d)? ?[ap]m|the (?:three|four|two|five) of us|us\b|a slot|some time|time)|\bsend (?:you )?a hold\b"
    r"|\b(?:i can|i could|could i|can i|let me|happy to|i'll|i'd love to) (?:just )?(?:come (?:out|in|by|over)"
    r"|swing by|drop by|stop by|pop (?:in|by|over)|join your)\b"
    r"|\b(?:could|can|would) you (?:introduce|connect) (?:me|us)\b|\bintroduce us\b"
    r"|\bget [^.?!]{0,40}\bin a room\b|\bset (?:something|a time|a call|a session) up\b"
    r"|\b(?:go|run|walk) (?:through|over) [^.?!]{0,40}\btogether\b"
)
"""Next steps the noun + proposal pair misses: the contract sent for signature, a question about when to meet,
a hold on the calendar, a visit, an introduction ('could you introduce us')."""
_CONFIRMED = re.compile(r"\b(?:it is|it's a date|works for me|speak then|talk then|see you then)\b")
"""'Thursday at 2 it is': a time confirmed."""


def _restated(amount: Amount) -> bool:
    return bool(_RESTATED.search(amount.context[max(0, amount.start - 60) : amount.start])
                or OWN_NUMBER_HELD.search(amount.context[max(0, amount.start - 25) : amount.end + 40]))


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text) if w not in _STOP_ECHO}


def _context_features(low: str, sentences: list[str], questions: list[QuestionReading], previous: str) -> list[float]:
    """How the message relates to the buyer's last line and to the buyer: words echoed from it, 'you' early,
    feeling words, sentences about 'we', whether it opens with a question."""
    echoed = _stems(low) & _stems(previous) if previous else set()
    theirs = _stems(previous)
    first = sentences[0].lower() if sentences else ""
    we_sentences = sum(bool(re.match(r"^\W*(?:we|our|we're|we've|we'll|it|the platform|the system)\b", t.lower()))
                       for t in sentences)
    return [
        min(len(echoed), 4) / 4.0,
        len(echoed) / len(theirs) if theirs else 0.0,
        float(bool(re.search(r"\b(?:you|your|you're|you've|you'd)\b", first))),
        min(len(_FEELING.findall(low)), 3) / 3.0,
        we_sentences / max(len(sentences), 1),
        float(bool(questions) and questions[0].sentence == (sentences[0] if sentences else "")),
    ]


def read_rules(
    low: str,
    sentences: list[str],
    questions: list[QuestionReading],
    amounts: list[Amount],
    discounts: list[float],
    time_phrase: str | None,
    words: int,
    list_price: float | None,
    previous: str = "",
) -> RuleReading:
    """Rule readings of one message (``low`` is the normalised visible text; ``previous`` the buyer's line
    before it, normalised, when known)."""
    r = RuleReading()
    open_q = any(q.kind == "open" for q in questions)
    closed_q = bool(questions) and not open_q

    start = _FAREWELL_WISH.sub(" ", " ".join(low.split(" ")[:14]))
    opening = _START_GREETING.match(start)
    greet = find_phrase(start, phrases.GREETING) or (opening.group(0).strip(" !,.") if opening else None) or (
        "how are you"
        if re.search(r"\bhow(?:'re| are) (?:you|ya)(?: doing| today| all| guys)?\s*(?:[?!.,]|$)", start)
        else None
    )
    r.labels["greeting"] = bool(greet)
    if greet:
        r.reasons["greeting"] = f"greets ({greet!r})"

    thanks = find_phrase(low, phrases.THANKS)
    r.labels["thanks_or_goodbye"] = bool(thanks)
    if thanks:
        r.reasons["thanks_or_goodbye"] = f"thanks or farewell ({thanks!r})"

    last = _BEFORE_I_GO.sub(" ", _TAKE_CARE_OF.sub("handle", normalise(sentences[-1]))) if sentences else ""
    tail = _BEFORE_I_GO.sub(" ", _TAKE_CARE_OF.sub("handle", " ".join(normalise(s) for s in sentences[-2:])))
    ends = find_phrase(tail, phrases.ENDS_CALL)
    asks_after = bool(questions) and questions[-1].sentence.lower() == last and not find_phrase(last, phrases.ENDS_CALL)
    r.labels["ends_call"] = bool(ends) and not asks_after
    if r.labels["ends_call"]:
        r.reasons["ends_call"] = f"takes leave ({ends!r}) with nothing asked after"

    ack = find_phrase(low, phrases.ACKNOWLEDGE)
    r.labels["acknowledges"] = bool(ack)
    if ack:
        r.reasons["acknowledges"] = f"acknowledges ({ack!r})"

    pitch_hits = all_phrases(low, phrases.PITCH)
    benefits = all_phrases(low, phrases.BENEFIT)
    we = len(re.findall(phrases.WE_WORDS, low))
    product = _product_subject(low)
    proof = _PROOF.search(low)
    is_pitch = (
        words >= PITCH_MIN_WORDS
        and not open_q
        and (not closed_q or words >= 2 * PITCH_MIN_WORDS)
        and (len(pitch_hits) >= 1 or we >= 3 or len(benefits) >= 2 or bool(product) or bool(proof))
    ) or (words >= MONOLOGUE_WORDS and len(questions) <= 1)
    r.labels["is_pitch"] = is_pitch
    if is_pitch:
        selling = pitch_hits[:2] + benefits[:2] + ([f"{product} …"] if product else []) + (
            [proof.group(0)[:40]] if proof else [])
        r.reasons["is_pitch"] = f"pitch: {words} words, no open question" + (
            f", selling language {selling}" if selling else f", 'we/our' ×{we}"
        )

    rep_prices = [a.value for a in amounts if a.owner == "rep"]
    low_c = _NOT_A_GIVE.sub(" ", low)
    concession_hits = _unnegated(low_c, all_phrases(low_c, phrases.CONCESSION))
    concession_hits += _unnegated(low_c, [m.group(0) for m in _GIVE.finditer(low_c)])
    courtesy = find_phrase(low, phrases.NOT_CONCESSION)
    if courtesy:
        concession_hits = [h for h in concession_hits if h not in ("meet you halfway",) or "halfway" in low]
    offered = [a for a in amounts if a.owner == "rep" and not _restated(a)]
    yearly = [v for v in (comparable_value(a, list_price) for a in offered) if v is not None]
    per_unit = [a.value for a in offered if comparable_value(a, list_price) is None]
    # A yearly price under list, or a per-seat price said going down ('per seat goes from 45 to 38 bucks').
    below_list = bool(list_price and ((yearly and min(yearly) < list_price)
                                      or any(x > y for x, y in itertools.pairwise(per_unit))))
    concession = bool(concession_hits or discounts or below_list)
    r.labels["concession"] = concession
    if concession:
        why = (f"{concession_hits[:2]}" if concession_hits else "") + (f" {discounts[0]:g}% off" if discounts else "")
        if below_list:
            why += f" price {min(yearly or per_unit):,.0f} below list {list_price:,.0f}"
        r.reasons["concession"] = "offers a concession: " + why.strip()

    trade = find_phrase(low, phrases.TRADE)
    if not trade:
        term = _TERM_TRADE.search(low)
        trade = term.group(0) if term else None
    r.labels["asks_in_return"] = concession and bool(trade)
    if r.labels["asks_in_return"]:
        r.reasons["asks_in_return"] = f"asks for something in return ({trade!r})"

    deadline = _DEADLINE.search(low)
    if deadline:  # 'send me the signed order form by friday': a deadline, not a meeting or a time proposed
        low_ns = _DEADLINE.sub(" ", low)
        time_phrase = concrete_time(low_ns) if time_phrase else None
    else:
        low_ns = low
    if _EXPLAIN_NOW.search(low_ns) and not time_phrase and not re.search(
            r"\b(?:next|later|sometime|session|call|meeting|demo|with your|and your)\b", low_ns):
        low_ns = _EXPLAIN_NOW.sub(" ", low_ns)
    noun = find_phrase(_COURTESY_CALL.sub(" ", low_ns), phrases.NEXT_STEP_NOUNS)
    proposal = find_phrase(low_ns, phrases.PROPOSAL)
    past = find_phrase(low, phrases.PAST_MEETING)
    extra = _NEXT_STEP_FORMS.search(low_ns) or (
        time_phrase and (_CONFIRMED.search(low_ns) or (words <= 5 and "?" in low))
    )
    next_step = (
        (bool(noun) and bool(proposal))
        or (bool(time_phrase) and (bool(noun) or bool(proposal) or (bool(questions) and bool(_WORKS_FOR.search(low)))))
        or bool(extra)
    ) and not (past and not proposal)
    if extra and not noun:
        noun = extra.group(0) if isinstance(extra, re.Match) else "a time"
    r.labels["next_step"] = next_step
    if next_step:
        r.reasons["next_step"] = f"proposes a next step ({noun!r}, {proposal or 'a time'!r})"
    elif deadline:
        r.reasons["next_step"] = f"a deadline, not a next step ({deadline.group(0)!r})"

    r.features = [
        *(float(r.labels[k]) for k in BOOLEAN_LABELS),
        float(open_q),
        float(closed_q),
        float(not questions),
        float(time_phrase is not None),
        float(min(len(rep_prices), 3)),
        float(min(len(amounts) - len(rep_prices), 3)),
        float(bool(discounts)),
        math.log1p(words) / 5.0,
        min(we / max(words, 1) * 10, 2.0),
        float(min(len(pitch_hits), 4)),
        float("?" in low),
        float(bool(trade)),
        float(bool(noun)),
        float(bool(proposal)),
        float(bool(past)),
        float(below_list),
        float(bool(greet)),
        float(bool(thanks)),
        float(bool(ack)),
        float(bool(find_phrase(last, phrases.ENDS_CALL))),
        float(min(len(benefits), 5)) / 2.0,
        float(words >= PITCH_MIN_WORDS),
        float(bool(find_phrase(low, phrases.RESTATE))),
        float(
            bool(re.search(r"\b(?:and|then)\s+(?:i'll|i will|i can|we'll|we can|you get|it's yours|the last)\b", low))
        ),
        float(bool(re.search(r"\b(?:can't|cannot|won't|not)\b", low))),
        *_context_features(low, sentences, questions, previous),
        float(bool(product)),
        float(bool(proof)),
    ]
    return r
