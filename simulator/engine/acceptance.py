"""The acceptance check for an LLM-voiced buyer line. If it fails, the director's gist is spoken.

Two levels (docs/voicing.md):

* :func:`sentence_rejection_reason` runs on every sentence as it completes, before anything is shown:
  the line must not speak as the seller, the caller or an assistant, refuse, read its instructions
  aloud, repeat the rep's words as its own, reveal a locked fact or a locked fact's number, add a
  number the director did not decide, or agree to something the director did not decide.
* :func:`rejection_reason` runs on the whole line at the end: all of the above, plus every required
  value verbatim, the gist's point carried (at least half of the gist's content words), and a length
  bound. An adapted line (a short reaction, the rep's terms, the persona's style) passes when it keeps
  all of that; it does not have to copy the gist.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from simulator.engine import lexicon
from simulator.engine.prompts import INSTRUCTION_TEXTS
from simulator.engine.understand import content_words, normalise

MIN_GIST_COVERAGE = 0.5
"""Share of the gist's content words the whole line must contain (the gist's point is carried)."""
MAX_WORDS_FACTOR = 2.0
MAX_WORDS_SLACK = 12
ECHO_RUN = 6
"""A run of this many consecutive words of the rep's message (not in the gist) is an echo."""
ECHO_SENTENCE_SHARE = 0.8
LOCKED_FACT_OVERLAP = 0.4
INSTRUCTION_NGRAM = 5
"""A run of this many consecutive words of the instructions, said aloud, is a role break."""

REFUSAL_PHRASES: tuple[str, ...] = (
    "i can't assist", "i cannot assist", "i can't help with", "i cannot help with", "can't help you with",
    "i'm unable to", "i am unable to", "i'm not able to", "i am not able to", "i can't provide",
    "i cannot provide", "i can't comply", "i cannot comply", "i won't be able to", "not able to assist",
    "i'm sorry, but i", "i am sorry, but i", "i apologize", "i apologise", "as a buyer, i",
)
"""A model refusing or apologising for itself: never the buyer's voice."""

ASSISTANT_EXTRA_PHRASES: tuple[str, ...] = (
    "great question", "what a great question", "is there anything else", "anything else i can",
    "let me know if", "i hope this helps", "certainly!", "of course!",
)
"""Assistant habits, on top of lexicon.ASSISTANT_VOICE_PHRASES (a buyer does not praise the rep's question)."""

CALLER_PHRASES: tuple[str, ...] = (
    "thanks for taking the call", "thanks for taking my call", "thank you for taking the call",
    "thank you for taking my call", "thanks for your time", "thank you for your time",
    "i'm reaching out", "i am reaching out", "reason for my call", "the reason i'm calling",
    "i wanted to tell you about", "we help companies", "we can help you", "i can show you",
    "i'd love to show you", "our customers", "our clients", "our team can", "our tool", "our service",
)
"""The caller's (seller's) side of the conversation, on top of lexicon.SELLER_VOICE_PHRASES."""

COMMITMENT_PHRASES: tuple[str, ...] = (
    "i agree", "we agree", "agreed", "i confirm", "we confirm", "confirmed", "it's a deal", "we have a deal",
    "you have a deal", "you've got a deal", "i accept", "we accept", "we'll sign", "i'll sign", "let's sign",
    "i'll take it", "we'll take it", "let's do it", "works for me", "sounds good", "i'm in", "we're in",
    "count me in", "i promise", "we promise", "as we agreed", "as agreed",
)
"""Agreement the director did not decide (e.g. confirming a 'prior agreement' an injection invented)."""

ROLE_LABELS: frozenset[str] = frozenset({
    "rep", "seller", "salesperson", "sales", "user", "you", "assistant", "ai", "caller", "system", "director",
    "narrator", "sales rep", "salesman", "saleswoman", "the rep", "the seller",
})
"""A leading 'Label:' naming the other side or the machinery: the model spoke as someone else."""

_NUM = re.compile(r"\d[\d,.]*\d|\d")
_SPELLED_AMOUNT = re.compile(
    r"\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred)[ -](?:\w+[ -])?(?:hundred|thousand|million|percent|grand|k)\b"
)
_LABEL = re.compile(r"^\s*\**([A-Za-z][A-Za-z .,'()-]{0,48}?)\**\s*:\s*")
_WORDS = re.compile(r"[a-z0-9$%']+")


def _instruction_ngrams() -> frozenset[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for text in INSTRUCTION_TEXTS:
        words = _WORDS.findall(normalise(text))
        grams.update(tuple(words[i:i + INSTRUCTION_NGRAM]) for i in range(len(words) - INSTRUCTION_NGRAM + 1))
    return frozenset(grams)


_INSTRUCTION_GRAMS = _instruction_ngrams()


ROLE_BREAK_REASONS: tuple[str, ...] = ("speaks as", "refuses", "reads its instructions", "agrees to")
"""Rejection reasons that mean the model left the buyer's role (as opposed to a content slip)."""


def is_role_break(reason: str) -> bool:
    """Is this rejection reason a role break (seller, caller, assistant, refusal, instructions, agreement)?"""
    return reason.startswith(ROLE_BREAK_REASONS)


def split_label(text: str) -> tuple[str | None, str]:
    """(speaker label, rest) when the text opens with 'Label:' (a name, 'Buyer', 'Rep', ...), else (None, text).

    A label is at most four words (eight when it names the seller's side: "Sales Rep Alex from
    OrderFlow:") and contains no sentence end, so "Sure. Here's the thing: ..." is not taken for one.
    Markdown bold around a label ("**Raj:**") is part of it.
    """
    unwrapped = text.lstrip("*").lstrip()
    match = _LABEL.match(unwrapped)
    if match is None:
        return None, text
    label = match.group(1).strip().strip("*").strip()
    honorific = label.lower().startswith(("mr.", "ms.", "mrs.", "dr."))
    words = len(label.split())
    seller_side = is_role_label(label)
    sentence_end = re.search(r"[.!?]\s", label + " ") and not honorific
    if words > 8 or ((words > 4 or "," in label) and not seller_side) or sentence_end:
        return None, text
    return label, unwrapped[match.end():].lstrip("*").lstrip()


def is_role_label(label: str) -> bool:
    """Does a leading label name the seller, the user or the machinery (not the buyer)?"""
    low = re.sub(r"[()]", " ", label.lower()).strip()
    return low in ROLE_LABELS or any(w in ROLE_LABELS - {"you", "ai"} for w in low.split())


def clean_line(raw: str) -> str:
    """Strip what models wrap around a line: a speaker label, quotes, a trailing second turn."""
    text = raw.strip()
    label, rest = split_label(text)
    if label is not None and not is_role_label(label):
        text = rest
    text = text.split("\n\n")[0].strip()
    text = re.split(r"\n\s*(?:rep|seller|salesperson|user|you)\s*:", text, flags=re.IGNORECASE)[0]
    if len(text) >= 2 and text[0] in "\"'“" and text[-1] in "\"'”":
        text = text[1:-1].strip()
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=64)
def _any_phrase(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for a whole phrase list: most lines contain none, and one search says so."""
    words = sorted((p for p in phrases if p not in ("[", "{")), key=len, reverse=True)
    marks = [re.escape(p) for p in phrases if p in ("[", "{")]
    parts = ([rf"(?<![a-z'])(?:{'|'.join(map(re.escape, words))})(?![a-z'])"] if words else []) + marks
    return re.compile("|".join(parts) or r"(?!x)x")


def _phrase(text: str, phrases: Iterable[str]) -> str | None:
    """The first phrase of ``phrases`` (in their order) found in ``text`` as whole words, or None."""
    phrases = tuple(phrases)
    if not _any_phrase(phrases).search(text):
        return None
    for p in phrases:
        if p in ("[", "{"):
            if p in text:
                return p
        elif re.search(rf"(?<![a-z']){re.escape(p)}(?![a-z'])", text):
            return p
    return None


def _numbers(text: str) -> set[str]:
    return {n.rstrip(".,").replace(",", "") for n in _NUM.findall(text)}


def _reads_instructions(low: str) -> bool:
    words = _WORDS.findall(low)
    return any(tuple(words[i:i + INSTRUCTION_NGRAM]) in _INSTRUCTION_GRAMS
               for i in range(len(words) - INSTRUCTION_NGRAM + 1))


def _echo(text: str, rep_text: str, gist: str) -> bool:
    """Does the text repeat the rep's own words as the buyer's (a run of ECHO_RUN words, or a sentence
    made almost only of the rep's words that the gist does not have)?"""
    rep_words = _WORDS.findall(normalise(rep_text))
    if len(rep_words) < 4:
        return False
    gist_low = normalise(gist)
    words = _WORDS.findall(normalise(text))
    rep_runs = {tuple(rep_words[i:i + ECHO_RUN]) for i in range(len(rep_words) - ECHO_RUN + 1)}
    for i in range(len(words) - ECHO_RUN + 1):
        run = tuple(words[i:i + ECHO_RUN])
        if run in rep_runs and " ".join(run) not in gist_low:
            return True
    own = content_words(text) - content_words(gist)
    from_rep = own & content_words(rep_text)
    return len(from_rep) >= 4 and len(from_rep) / max(1, len(content_words(text))) >= ECHO_SENTENCE_SHARE


def sentence_rejection_reason(sentence: str, *, said_before: str = "", gist: str, rep_text: str,
                              locked_facts: Sequence[str] = (), buyer_name: str = "") -> str | None:
    """Why this sentence must not be shown or spoken, or None. Checked before it reaches the screen.

    ``said_before`` is the checked text already shown in this reply: a locked fact spread over two
    sentences is caught on the second.
    """
    if not sentence.strip():
        return None
    label, _ = split_label(sentence)
    if label is not None and is_role_label(label):
        return f"speaks as someone else ({label + ':'!r})"
    low = normalise(sentence)
    gist_low = normalise(gist)
    rep_low = normalise(rep_text)
    seller = _phrase(low, (*lexicon.SELLER_VOICE_PHRASES, *CALLER_PHRASES))
    if seller and seller not in gist_low:
        return f"speaks as the seller ({seller!r})"
    first = buyer_name.split()[0].lower() if buyer_name.strip() else ""
    greeting = r"^(?:hi|hello|hey|good (?:morning|afternoon)|thanks|thank you)[ ,]+"
    if first and re.search(rf"{greeting}{re.escape(first)}\b", low):
        return f"speaks as the caller (greets {buyer_name.split()[0]})"
    addressed = rf"(?:^|[.!?] ){re.escape(first)}, "
    if first and re.search(addressed, low) and not re.search(addressed, gist_low):
        return f"speaks as the caller (addresses {buyer_name.split()[0]})"
    refusal = _phrase(low, REFUSAL_PHRASES)
    if refusal and refusal not in gist_low:
        return f"refuses or apologises as a model ({refusal!r})"
    assistant = _phrase(low, (*lexicon.ASSISTANT_VOICE_PHRASES, *ASSISTANT_EXTRA_PHRASES))
    if assistant and assistant not in gist_low:
        return f"speaks as an assistant or reads its instructions ({assistant!r})"
    if re.search(r"(?<![a-z])say\s*:", low) or _reads_instructions(low):
        return "reads its instructions aloud"
    commit = _phrase(low, COMMITMENT_PHRASES)
    if commit and commit not in gist_low:
        return f"agrees to something the director did not decide ({commit!r})"
    new_numbers = _numbers(sentence) - _numbers(gist)
    if new_numbers:
        return f"adds a number the director did not decide ({sorted(new_numbers)[0]})"
    for amount in _SPELLED_AMOUNT.findall(low):
        if amount not in gist_low and amount not in rep_low:
            return f"adds an amount the director did not decide ({amount!r})"
    if _echo(sentence, rep_text, gist):
        return "repeats the rep's line as its own"
    so_far = f"{said_before} {sentence}"
    so_far_words = content_words(so_far)
    gist_words = content_words(gist)
    for fact in locked_facts:
        distinctive = content_words(fact) - gist_words - content_words(rep_text)
        if len(distinctive) >= 3 and len(distinctive & so_far_words) / len(distinctive) >= LOCKED_FACT_OVERLAP:
            return "reveals a fact that is still locked"
        numbers = _numbers(fact) - _numbers(gist)
        if any(n in _numbers(so_far) for n in numbers if len(n) >= 2):
            return "mentions a number from a locked fact"
    return None


REACTION_MAX_WORDS = 10
REACTION_NEW_WORDS = 2
"""A reaction may bring at most this many content words that neither the rep nor the gist said: it reacts,
it does not add facts."""


NEGATIVE_MOODS = frozenset({"guarded", "skeptical", "unconvinced", "unimpressed", "firm", "done", "hesitant",
                            "reluctant", "impatient", "frank"})
ENTHUSIASM_WORDS = frozenset({
    "great", "love", "amazing", "awesome", "fantastic", "excellent", "wonderful", "perfect", "exciting", "excited",
    "impressive", "impressed", "glad", "happy", "thrilled", "brilliant",
})
"""A reaction in a negative mood must not gush (a pitch answered with "That's great to hear!")."""
AFFIRMATIVE_WORDS = frozenset({"sure", "yes", "yeah", "yep", "absolutely", "definitely", "certainly", "agreed", "deal",
                               "okay", "ok", "fine"})
"""...nor say yes ("Sure, let's schedule it." before "It's premature to schedule anything.")."""
REACTION_PROPOSALS: tuple[str, ...] = (
    "let's", "let us", "i'd want", "i want", "i need", "we need", "we'd need", "show me", "send me", "how about",
    "why don't", "can you", "could you", "would you", "i'll", "we'll",
)
"""A reaction reacts: proposals, demands and promises are the director's to make."""


_GIST_DENIES = re.compile(r"\b(?:never|not|no|don't|didn't|haven't|won't|can't|nothing)\b|n't\b")
"""A line that denies or refuses: a 'Sure,' before it would say yes to what it refuses."""


def reaction_rejection_reason(sentence: str, *, gist: str, rep_text: str, mood: str = "") -> str | None:
    """Why an adapt-mode reaction (said before the gist) must not be spoken, or None.

    On top of :func:`sentence_rejection_reason`: short, no digits, almost no words of its own (so it
    cannot invent a fact), does not say its mood aloud, and does not gush when the mood is negative.
    """
    low = normalise(sentence)
    if mood and mood.lower() in low:
        return "reads its instructions aloud (the mood)"
    words = set(_WORDS.findall(low)) - set(_WORDS.findall(normalise(gist)))
    if mood in NEGATIVE_MOODS and words & (ENTHUSIASM_WORDS | AFFIRMATIVE_WORDS):
        return f"reaction contradicts the {mood} mood"
    if words & AFFIRMATIVE_WORDS and _GIST_DENIES.search(normalise(gist)):
        return "reaction agrees before a line that denies or refuses"
    proposal = _phrase(low, REACTION_PROPOSALS)
    if proposal and proposal not in normalise(gist):
        return f"reaction proposes or demands something ({proposal!r})"
    n = len(sentence.split())
    if n > REACTION_MAX_WORDS:
        return f"reaction too long ({n} words)"
    if re.search(r"\d", sentence):
        return "reaction has a number"
    new = content_words(sentence) - content_words(rep_text) - content_words(gist)
    if len(new) > REACTION_NEW_WORDS:
        return f"reaction adds its own content ({', '.join(sorted(new)[:3])})"
    return None


def gist_coverage(line: str, gist: str) -> float:
    """Share of the gist's content words the line contains (1.0 for a gist with none)."""
    gist_words = content_words(gist)
    return len(gist_words & content_words(line)) / len(gist_words) if gist_words else 1.0


def rejection_reason(line: str, *, gist: str, required: Sequence[str], rep_text: str,
                     locked_facts: Sequence[str] = (), buyer_name: str = "") -> str | None:
    """Why this whole voiced line must not be spoken, or None when it is acceptable.

    Required values are the ones the gist itself says (a value the gist does not contain cannot be
    demanded of a line that voices it)."""
    if not line.strip():
        return "empty reply"
    reason = sentence_rejection_reason(line, gist=gist, rep_text=rep_text, locked_facts=locked_facts,
                                       buyer_name=buyer_name)
    if reason is not None:
        return reason
    missing = [v for v in required if v and v in gist and v not in line]
    if missing:
        return f"missing required value(s): {', '.join(missing)}"
    coverage = gist_coverage(line, gist)
    if coverage < MIN_GIST_COVERAGE:
        return f"covers {coverage:.0%} of the gist (needs {MIN_GIST_COVERAGE:.0%})"
    n_line, n_gist = len(line.split()), len(gist.split())
    if n_line > MAX_WORDS_FACTOR * n_gist + MAX_WORDS_SLACK:
        return f"too long ({n_line} words for a {n_gist}-word gist)"
    return None
