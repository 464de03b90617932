"""What the rep asked about, for the buyer's words only: never for what the buyer decides.

The director's rules read topics with the lexicon (:mod:`simulator.engine.lexicon`) and decide what
the buyer tells; that reading is left alone here. To *word* the reply, the rep's question is also
compared by meaning (the understanding layer's sentence embeddings) with how reps ask about each
topic (``asks`` in simulator/content/topic_cues.yaml): "Who signs off on a tool at this price?" is
about the decision, though its words say budget and tools; "What happens when a page goes
unanswered?" is about impact, though no lexicon word says so. The buyer then picks, among the lines
its state permits, one that names that topic (``names`` in the same file), and a reply whose move
says something else (an objection's concern, a hint on another fact) first deflects the question,
naming it: every question gets an answer or an in-character "not yet" on what was asked.

With ``SPARRING_UNDERSTANDING=rules`` or without the model, the lexicon's first topic is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from simulator.content.stock import names_topic, topic_cues
from simulator.engine import lexicon
from simulator.understanding.text import normalise

__all__ = ["ASK_FIT", "ASK_MARGIN", "LEXICON_BONUS", "PERSONAL", "asked_thing", "asked_topic", "names_topic",
           "opinion_ask", "personal_question", "question_part"]

PERSONAL = "personal"
"""The topic of small talk and questions about the buyer as a person (topic_cues.yaml; no lexicon topic)."""
_PERSONAL_CUES = re.compile("|".join(f"(?:{c})" for c in lexicon.PERSONAL_CUES))
_OPINION_CUES = [re.compile(c) for c in lexicon.OPINION_CUES]

ASK_FIT = 0.55
"""A question this close in meaning (cosine) to one of a topic's ``asks``, and ``ASK_MARGIN`` closer
than to any other topic, is about that topic even when the lexicon found another topic or none.
(Below it, meaning alone misleads: 'Where would you like to start?' fits 'How soon would you want to
start?' at 0.54; 'How's the week treating you?' fits metrics and current_solution alike.)"""
ASK_MARGIN = 0.05
LEXICON_BONUS = 0.08
"""Added to the fit of topics the lexicon found in the question: its words are evidence too."""

_QUESTION = re.compile(r"[^.!?]*\?")


def question_part(rep_text: str) -> str:
    """The question sentences of a message (what is asked), or the whole message when none ends in '?'."""
    found = [q.strip() for q in _QUESTION.findall(rep_text) if len(q.split()) >= 2]
    return " ".join(found) if found else rep_text.strip()


def _fits(question: str) -> dict[str, float] | None:
    """Best cosine of the question to each topic's asks; None without the embedding model."""
    from simulator.understanding.reader import models_enabled

    if not models_enabled():
        return None
    from simulator.understanding.embedding import EmbeddingModelError, shared_embedder

    cues = topic_cues()
    asks = [(topic, ask) for topic, cue in cues.items() for ask in cue.asks]
    try:
        vectors = shared_embedder().embed_many([question, *(ask for _, ask in asks)])
    except EmbeddingModelError:
        return None
    fits: dict[str, float] = {}
    for (topic, _), vector in zip(asks, vectors[1:], strict=True):
        fits[topic] = max(fits.get(topic, -1.0), float(vectors[0] @ vector))
    return fits


def asked_topic(rep_text: str, lexicon_topics: Sequence[str]) -> str | None:
    """The topic the rep's question is about, for choosing words; None when it is about none.

    The topic whose ``asks`` fit the question best (lexicon topics get ``LEXICON_BONUS``) when that fit
    reaches ``ASK_FIT`` with ``ASK_MARGIN`` over the next topic; else the lexicon topic that fits best
    (the lexicon's words can point at several: 'Who signs off on a tool at this price?' has budget and
    tools words); else None."""
    if not rep_text.strip():
        return None
    found = [t for t in lexicon_topics if t in topic_cues()]
    question = question_part(rep_text)
    fits = _fits(question)
    if fits is None:
        return found[0] if found else None
    if not _PERSONAL_CUES.search(normalise(question)):
        fits.pop(PERSONAL, None)  # 'How big is your team?' is close to 'How long have you been on the team?'
    scored = {t: f + (LEXICON_BONUS if t in found else 0.0) for t, f in fits.items()}
    ranked = sorted(scored, key=lambda t: -scored[t])
    best = ranked[0]
    if scored[best] >= ASK_FIT and (len(ranked) < 2 or scored[best] - scored[ranked[1]] >= ASK_MARGIN):
        return best
    if found:
        return max(found, key=lambda t: scored[t])
    return None


def personal_question(rep_text: str, lexicon_topics: Sequence[str], asked: str | None,
                      probed: Sequence[str] = ()) -> bool:
    """Is the rep's question small talk or about the buyer as a person ('How long have you been in this
    role?', 'Did you catch the game?')? Its words carry a personal cue (``lexicon.PERSONAL_CUES``) and
    either its meaning is closest to the ``personal`` asks, or it names no business topic and probes no
    hidden fact (``probed``: by a fact's keywords) at all. A business question with a personal word
    ('How long have you been using spreadsheets for this?', '…dealing with order exceptions?') is read
    as the business question it is, and stays one."""
    if not _PERSONAL_CUES.search(normalise(question_part(rep_text))):
        return False
    return asked == PERSONAL or (asked is None and not lexicon_topics and not probed)


def opinion_ask(rep_text: str) -> str | None:
    """The words by which the rep's question asks the buyer's opinion ('would that help', 'how do you feel
    about', 'does a phased rollout sound useful'), or None: the understanding layer's ``OPINION_ASK`` phrases
    and ``lexicon.OPINION_CUES``, on the question sentences only."""
    from simulator.understanding import phrases
    from simulator.understanding.rules import find_phrase

    found = find_phrase(normalise(rep_text), phrases.OPINION_ASK)
    if found:
        return found
    question = normalise(question_part(rep_text))
    for sentence in re.split(r"(?<=[.!?])\s+", question):
        for cue in _OPINION_CUES:
            if (m := cue.search(sentence.strip())) is not None:
                return m.group(0)
    return None


_ABOUT = re.compile(
    r"\b(?:how (?:do|would) you feel about|what(?:'s| is| would be) your (?:take|view|opinion|feeling|gut|read)"
    r"(?: on| about)?|your (?:thoughts|views?|take) on|what are your thoughts on|what do you (?:make|think)"
    r" (?:of|about)|how do you see) (?P<thing>.+)$")
_SUBJECT = re.compile(
    r"^(?:so |and |but |ok |okay )?(?:would|could|will|might|does|do|did|has|have|is|was) (?P<thing>(?:a|an|the"
    r"|that|this|some|more|your|[a-z]+ing)\b.+?) (?:help|sound|make|work|be|been|appeal|interest|ease)\b")
_OBJECT = re.compile(r"(?:\b(?P<prep>in|on) )?\b(?P<det>the|your|that|this) (?P<rest>[a-z'-]+(?: [a-z'-]+){0,4})$")
_DETERMINERS = frozenset({"a", "an", "the", "your", "that", "this", "our", "my", "his", "her", "their"})
_THING_WORD = re.compile(r"^[a-z][a-z'-]*$")
MAX_THING_WORDS = 6
_CUT_AT = frozenset({"versus", "vs", "with", "for", "instead", "rather", "compared", "over", "at", "across", "so",
                     "because", "to", "which", "that", "when", "if"})


def _speakable(thing: str) -> str | None:
    """``thing`` as the buyer may say it back: the rep's 'your' becomes 'our'; None when it is too long, has
    a number, or has a word of ``lexicon.ECHO_BANNED`` (the rep's voice, agreements, money, instructions)."""
    from simulator.content.validate import numbers_of

    thing = re.sub(r"\s+(?:for|to) (?:you|your team|us|them)$", "", thing.strip(" ,;:"))
    words = [w for w in thing.split() if not re.fullmatch(r"[$€£]?\d[\d.,]*(?:%|k|m)?", w)]  # 'the 19% drop'
    while len(words) > MAX_THING_WORDS and (cut := next((i for i in range(len(words) - 1, 0, -1)
                                                         if words[i] in _CUT_AT), None)) is not None:
        words = words[:cut]  # 'a managed service versus building it yourselves' → 'a managed service'
    thing = " ".join(words)
    if not words or len(words) > MAX_THING_WORDS or numbers_of(thing):
        return None
    if not all(_THING_WORD.match(w) and w not in lexicon.ECHO_BANNED for w in words):
        return None
    said = " ".join("our" if w == "your" else w for w in words)
    if any(v in said for v in (*lexicon.SELLER_VOICE_PHRASES, *lexicon.ASSISTANT_VOICE_PHRASES)):
        return None  # 'Our platform?' would read as the seller speaking
    return said[0].upper() + said[1:]


def asked_thing(rep_text: str, opinion: bool = False) -> str | None:
    """What a question with no business topic asks about, in the rep's words, for the buyer to name it
    ('Did you get a chance to look at the proposal?' → 'The proposal'; 'How do you feel about a
    two-week pilot?' → 'A two-week pilot'), or None when nothing safe to say back is found. ``opinion``:
    the question asks the buyer's opinion of it (its subject or what follows 'how do you feel about')."""
    found = [q.strip() for q in re.findall(r"[^.!?]*\?", normalise(rep_text)) if len(q.split()) >= 2]
    if not found:
        return None
    question = re.sub(r"^(?:unrelated|random one|out of curiosity|quick question|just curious|by the way)\b[^a-z]*"
                      r"(?:but )?", "", found[-1].rstrip("?").strip())
    options: list[str] = []
    if opinion:
        for pattern in (_ABOUT, _SUBJECT):
            if (m := pattern.search(question)) is not None:
                options.append(m.group("thing"))
    else:
        words = question.split()
        for start in range(len(words)):
            m = _OBJECT.match(" ".join(words[start:]))
            if m is not None and m.group("rest").split()[0] not in _DETERMINERS:  # not 'that your final offer'
                options.append(m.group(0))
                break
    cased = {w.lower(): w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", rep_text) if not w.islower()}
    for option in options:
        if (said := _speakable(option)) is not None:
            words = [cased.get(w, w) if w.lower() not in ("a", "an", "the", "our") else w for w in said.split()]
            text = " ".join(words)  # the rep's own capitals back ('QBR', 'Mr. Osei')
            return text[0].upper() + text[1:]
    return None
