"""Values in a rep's message: money amounts (digits and words) and whose they are, percents, times.

Rules, not a model: values must be exact, and each carries the words that decided it.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from dataclasses import dataclass

import numpy as np

from simulator.understanding.definitions import PRICE_RANGE, PriceOwner
from simulator.understanding.text import normalise

_UNIT_NOUNS = (
    r"(?:users?|seats?|licen[cs]es?|people|employees|staff|members|customers|clients|accounts|trucks?|vehicles?"
    r"|drivers?|units?|devices?|sites?|locations?|stores?|depots?|cafes?|cafés?|clinics?|reps?|agents?|orders?"
    r"|deliveries|shipments?|parcels?|packages?|tickets?|calls?|emails?|miles?|km|hours?|hrs?|days?"
    r"|minutes?|mins?|rows?|records?|transactions?|invoices?|pallets?|sku?s|items?|lines?|patients?"
    r"|students?|beds?|rooms?|square|sq|feet|ft|pounds?|lbs?|kg|tons?|tonnes?|gallons?|liters?|litres?|times|x\b)"
)
"""Nouns after a number that make it a count, not money ('12 thousand users', '80k miles')."""
_MONEY = re.compile(
    r"(?:\$|usd\s?|€|£)\s?(\d{1,3}(?:[, ]\d{3})+|\d+(?:\.\d+)?)\s?(k|m|mm|mil|thousand|million|grand)?\b"
    r"|\b(\d{1,3}(?:[, ]\d{3})+|\d+(?:\.\d+)?)\s?(k|m|mil|thousand|million|grand)?\s?(?:dollars?|usd|bucks|euros?)\b"
    r"|\b(\d+(?:\.\d+)?)\s?(k|grand|thousand|million|mil|mill|mm)\b"
    r"(?!\s?(?:(?:more|extra|new|active|total|additional|paying|daily|monthly|of)\s)?" + _UNIT_NOUNS + r")",
    re.IGNORECASE,
)
_SPOKEN_BARE = re.compile(
    r"(?<![\d.,$])\b(\d{3,7})\b(?![.,]?\d)(?!\s?(?:%|percent|(?:more|extra|new|active|total"
    r"|of)\s)?\s?" + _UNIT_NOUNS + r")"
)
"""A number said in words ('ten thousand', 'twelve hundred', 'five hundred') counts as money even with no list
price, unless a count noun follows: reps say counts in digits, money in words."""
_MONEY_AFTER = re.compile(r"^\s?(?:a|per|/)\s?(?:month|year|yr|mo|seat|user|licen[cs]e|truck|depot|site|store|head"
                          r"|location|cafe|café|clinic)\b|^\s?(?:annually|monthly|all in|flat|total|upfront)\b")
"""After a bare number, words that make it a price ('1200 a month', '2400 per seat')."""
_NOT_MONEY_BEFORE = re.compile(r"(?:\bnet|\bnet-|\bterms of)\s?$")
"""'net 60' is a payment term."""
_BARE = re.compile(r"(?<![\d.,$])\b(\d{1,3}(?:,\d{3})+|\d{4,7})\b(?![.,]?\d)")
_SHORT_THOUSANDS = re.compile(
    r"(?<![\d.,$/:-])\b(\d{1,3}(?:\.\d{1,2})?)\b(?![.,:/]?\d)"
    r"(?=\s*(?:$|[.,;:!?)\u2014-]|(?:flat|a|per|for|and|on|with|if|then|is|it|total|all|annually|upfront|up front"
    r"|including|plus|or|but|that|which|we|you|i|so|no|tops|max|firm|final|over|because|since|as|to|in|feels|sounds"
    r"|works|each|now|right|would|will|could|can|and|vs|versus|from|at|mine's|yours|is|was|even|net|seems|looks"
    r"|covers|gets|buys|stands|stays|there|here|this|out|off|done|deal|instead|rather|max|minimum|apart|like|your"
    r"|something|'s|include|includes|sound|after|before|first|last|year|a year|per year|list|approved)\b))"
)
"""A bare number said as thousands ('we're at 48', 'let's call it 160', 'still 12.8') when the list price is
known and the number, in thousands, is a plausible price for it; never before a unit ('3 years', '14 depots')."""
_COLLOQUIAL = re.compile(
    r"(?<![\d.,$])\b(\d{1,2})[ -](\d{1,2})(?:[ -](\d))?\b(?![.,]?\d)"
    r"(?!\s?(?:%|percent|months?|years?|yrs?|seats?|users?"
    r"|k\b|days?|weeks?|hours?|minutes?|mins?|am|pm|a\.m|p\.m|sites?|people|trucks?|cafes?|cafés?|locations?|stores?"
    r"|clinics?|reps?|of\b|to\b|or\b))"
)
"""Prices said in groups: 'forty-seven five' (47 5 → 47,500), 'one ten' (1 10 → 110,000),
'one fifty-eight four' (1 58 4 → 158,400), 'one oh five' (1 0 5 → 105,000)."""


def _colloquial_value(a: int, b: int, c: int | None) -> float | None:
    if c is not None:
        if not 1 <= a <= 9:
            return None
        return float((a * 100 + c) * 1000) if b == 0 else float((a * 100 + b) * 1000 + c * 100)
    if 1 <= a <= 9 and 10 <= b <= 99:
        return float((a * 100 + b) * 1000)
    if 1 <= a <= 9 and b == 0:
        return None
    if 10 <= a <= 99 and 1 <= b <= 9:
        return float(a * 1000 + b * 100)
    return None


PERCENT = re.compile(r"\b(\d{1,2}(?:\.\d+)?)\s?(?:%|percent|per cent)", re.IGNORECASE)

_COMPETITOR_CUES = (
    "quote",
    "quoted",
    "competitor",
    "other vendor",
    "another vendor",
    "other provider",
    "alternative",
    "they're offering",
    "they are offering",
    "they offered",
    "offered you",
    "you were offered",
    "their price",
    "their quote",
    "their offer",
    "they charge",
    "they're charging",
    "charging you",
    "they came in",
    "came in at",
    "cheaper option",
    "the other guys",
    "other bid",
    "bid from",
    "rfp",
    "incumbent",
    "current vendor",
    "your vendor",
    "you pay them",
    "paying them",
    "they'd do",
    "they would do",
    "they're at",
    "they are at",
    "their",
    "they came in",
    "came in around",
    "cheaper at",
    "quoting",
    "charges you",
    "they charge",
    "supplier's",
    "vendor's",
    "the other quote's",
    "undercut",
    "from them",
)
_BUYER_CUES = (
    "your budget",
    "budget of",
    "budget is",
    "budgeted",
    "you mentioned",
    "you said",
    "you offered",
    "your offer",
    "you're at",
    "you are at",
    "you proposed",
    "your number",
    "your counter",
    "you asked for",
    "you wanted",
    "you want",
    "you need it at",
    "you need to be at",
    "you can do",
    "you could do",
    "your ceiling",
    "your cap",
    "your target",
    "you came back with",
    "you're asking",
    "you are asking",
    "your max",
    "you have approved",
    "approved for",
    "signed off on",
    "your team approved",
    "you've got",
    "when you say",
    "you say",
    "your benchmark",
    "benchmark",
    "you told me",
    "you've told me",
    "in your budget",
    "can't do",
    "cannot do",
    "can't get to",
    "can't go to",
    "can't go above",
    "won't get to",
    "moving to",
    "you moved to",
    "you came down to",
    "you're offering",
    "deal at",
    "agreed",
    "we can live with",
    "i'll take it",
    "we have a deal at",
    "that works for me",
    "you'd want to land",
    "want to land",
)
_OTHER_CUES = (
    "you paid",
    "you're paying",
    "you are paying",
    "paid",
    "spent",
    "spending",
    "fees",
    "in fees",
    "last year",
    "costing you",
    "costs you",
    "cost you",
    "cost them",
    "save",
    "saving",
    "savings",
    "saved",
    "losing",
    "lose",
    "lost",
    "revenue",
    "downtime",
    "worth",
    "roi",
    "return on",
    "penalt",
    "fines",
    "spend on",
    "spent on",
    "spending on",
    "in overtime",
    "overtime",
    "write-off",
    "write off",
    "waste",
    "churn",
    "per incident",
    "a year in",
    "avoided",
    "recovered",
    "recover",
    "payback",
    "impact of",
    "an hour",
    "fully loaded",
    "loaded",
    "outage",
    "salary",
    "hire",
    "already paying",
)
_REP_CUES = (
    "i can do",
    "we can do",
    "i could do",
    "we could do",
    "i'll do",
    "we'll do",
    "i can get you",
    "we can get you",
    "our price",
    "my price",
    "the price is",
    "renewal price is",
    "renewal price would be",
    "renewal price stays",
    "price would be",
    "priced at",
    "come down to",
    "i can go",
    "we can go",
    "i can meet",
    "i'll hold",
    "we'll hold",
    "i can hold",
    "i'd do",
    "we'd do",
    "let's say",
    "let's do",
    "we're at",
    "for a",
    "at around",
    "around",
    "at about",
    "runs about",
    "runs",
    "comes to",
    "stays at",
    "stay at",
    "remains at",
    "remain at",
    "renewal stays",
    "the renewal is",
    "comes in at",
    "come in at",
    "priced",
    "pricing is",
    "quote you",
    "quoted you at",
    "renewal at",
    "i'm at",
    "we are at",
    "i am at",
    "our offer",
    "my offer",
    "i can offer",
    "we can offer",
    "list is",
    "list price",
    "mine's",
    "mine is",
    "ours is",
    "our",
    "us at",
    "keep you at",
    "i'm holding",
    "holding at",
    "i'll keep",
    "willing to do",
    "willing to go",
    "we came in at",
    "i came in at",
    "we come in at",
    "we're sitting at",
    "i'm sitting at",
    "last year's rate",
    "last year's price",
    "last year's pricing",
    "last year's renewal",
    "hold last year's",
    "at last year's",
)


@dataclass(frozen=True)
class Amount:
    """One money amount in a message and whose number it is, with the words that decided it."""

    value: float
    owner: PriceOwner
    cue: str
    start: int
    end: int = 0
    context: str = ""


@functools.lru_cache(maxsize=1)
def _alpha2digit() -> object:
    from text_to_num import alpha2digit

    return alpha2digit


def numbers_as_digits(low: str) -> str:
    """'forty-seven thousand five hundred' → '47500'; leaves other words as they are."""
    if not re.search(
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
        r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million)",
        low,
    ):
        return low
    # "one-fifty-eight-four" is said as separate groups: hyphens between number words become spaces,
    # except inside a tens-unit word ("fifty-eight"); "one oh five" keeps its zero.
    low = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine)-(?=[a-z])", r"\1 ", low)
    low = re.sub(r"\b([a-z]+?)(?<!ty)-(one|two|three|four|five|six|seven|eight|nine)\b", r"\1 \2", low)
    low = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine)[ -]oh[ -]", r"\1 zero ", low)
    # Small numbers alone stay words in text2num: 'two grand', 'one point two million', 'three k'.
    low = re.sub(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)'s\b", r"\1 is", low)
    low = re.sub(r"\b((?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[ -](?:one|two|three|four|five|six"
                 r"|seven|eight|nine))'s\b", r"\1 is", low)
    low = re.sub(
        r"(?<![a-z]-)(?<!ty )(?<!thousand )(?<!hundred )(?<!hundred and )(?<!million )(?<!point )"
        r"\b(one|two|three|four|five|six|seven|eight|nine)(?= (?:grand|k|thousand|million|mil)\b)",
        lambda m: str(_SMALL.index(m.group(1)) + 1), low)
    try:
        converted = str(_alpha2digit()(low, "en"))  # type: ignore[operator]
    except Exception:  # text2num rejects odd input; the digits we already have still count
        return low
    return _units_back(converted.lower())


_SMALL = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _units_back(low: str) -> str:
    """text2num turns the unit alone into digits ('1.2 million' → '1.2 1000000'): put the unit back."""
    low = re.sub(r"\b(\d+(?:\.\d+)?) 1000000\b", r"\1 million", low)
    low = re.sub(r"\b(\d+(?:\.\d+)?) 1000\b", r"\1 thousand", low)
    low = re.sub(r"\bhalf a 1000000\b", "0.5 million", low)
    low = re.sub(r"\b(?:a|one) 1000000\b", "1 million", low)
    low = re.sub(r"\b(\d+) and a half\b", r"\1.5", low)
    # 'eight to ten grand', '8-10k': the low end has the same unit.
    low = re.sub(r"\b(\d+(?:\.\d+)?)(\s?(?:to|-|or)\s?)(\d+(?:\.\d+)?)\s?(grand|k|thousand|million)\b",
                 r"\1 \4\2\3 \4", low)
    return low


def _dollar_ranges(low: str) -> str:
    """'per seat goes from 45 to 38 bucks': the low end is dollars too."""
    return re.sub(r"\b(\d+(?:\.\d+)?)(\s?(?:to|-|or)\s?)(\d+(?:\.\d+)?)\s?(bucks|dollars)\b", r"\1 \4\2\3 \4", low)


def _unit_value(number: str, unit: str) -> float:
    value = float(number.replace(",", "").replace(" ", ""))
    unit = unit.lower()
    if unit in ("k", "thousand", "grand"):
        value *= 1_000
    elif unit in ("m", "mm", "mil", "mill", "million"):
        value *= 1_000_000
    return value


_AFTER_OTHER = re.compile(
    r"^\s?(?:a year |per year |annually |a month |per month |a week |per week |a day |last year |this year )?"
    r"(?:in|of|on|from|worth of)\s"
    r"(?:[a-z-]+\s){0,2}?(?:fees|overtime|waste|savings|refunds|downtime|detention|revenue|churn|penalt\w*|fines"
    r"|losses|expedites?|write-?offs?|spend|costs?|labou?r|turnover|chargebacks|credits|rework|claims|pipeline)"
)
_THRESHOLD = re.compile(
    r"(?:anything|everything|spend|purchases?|deals?|contracts?)\s(?:over|above|under|below)\s$"
    r"|(?:over|above|threshold of|limit of|cap of|ceiling of|(?<!step )(?<!steps )(?<!go )(?<!goes )(?<!bump )up to)\s$"
)


_WEAK_REP_CUES = frozenset(("around", "at around", "at about", "runs", "runs about", "for a", "priced", "let's say"))


@functools.lru_cache(maxsize=8)
def _cue_patterns(cues: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each cue's pattern, compiled once (hundreds of patterns overflow the re module's own cache)."""
    return tuple((cue, re.compile(rf"(?<![a-z]){re.escape(cue)}(?![a-z])")) for cue in cues)


def _cues(window: str, cues: tuple[str, ...]) -> list[tuple[int, str]]:
    found = []
    for cue, pattern in _cue_patterns(cues):
        if cue in window:
            for m in pattern.finditer(window):
                found.append((m.end(), cue))
    return found


def _clause_window(low: str, start: int) -> str:
    """The clause before an amount: back to the previous sentence or strong break."""
    left = max(
        low.rfind(mark, 0, start)
        for mark in (
            ". ",
            "? ",
            "! ",
            "; ",
            " but ",
            " - ",
            " — ",
            " vs ",
            " and we",
            " and i",
            ", we",
            ", i ",
            ", so ",
            " so the ",
        )
    )
    return low[max(left, 0) : start]


_AFTER_BUYER = re.compile(
    r"^\s?(?:is |'s |was )?(?:just |really |still )?(?:not somewhere|too low|your (?:number|ceiling|target|budget"
    r"|max|cap|limit"
    r"|opening|counter|offer)|what you|you (?:offered|mentioned|said|had|proposed|wanted|asked|got approved|can do)"
    r"|in your budget|you'd pay|it is\b|works for (?:us|me)|you've got a deal|is close\b|is a (?:big|real) (?:jump"
    r"|move|drop|step)"
    r"|something you could|just doesn't cover|is what you had)"
)
_AFTER_COMPETITOR = re.compile(r"^\s?(?:(?:a year |per year |annual )?quote\b|(?:[a-z]+ ){0,2}(?:quoted|is quoting"
                               r"|offered you)\b"
                               r"|(?:quote )?(?:you got |they gave you )?from (?!us\b|me\b|our\b|my\b|you\b|your\b"
                               r"|the\b|last\b)[a-z]+)")
_CONCEDED_ITEM = re.compile(r"\b(?:waive|waived|drop|knock|take|throw|thrown|comp|on us|no charge|for free|free"
                            r"|normally"
                            r"|usually|off)\b")
_AFTER_CONCEDED = re.compile(r"^\s?(?:[a-z-]+ ){0,2}(?:fee|package|add-on|setup|onboarding)?\s?(?:off|is gone|on us"
                             r"|waived"
                             r"|back in your pocket)\b|^\s?(?:[a-z-]+ )?(?:setup|set-up|onboarding|install\w*"
                             r"|implementation"
                             r"|training) fee\b|^\s?\)")
_NAMED = re.compile(
    r"\b([a-z][a-z0-9]+)(?:'s|'re| is| are| was)?\s(?:(?:number|quote|price|bid|offer)\s(?:is\s|was\s)?)?"
    r"(?:at\s|@\s?|came in (?:at\s|around\s)?|quoted (?:you\s|us\s)?(?:at\s)?|is cheaper at\s|cheaper at\s"
    r"|charges (?:you\s)?)?"
    r"(?:about\s|around\s|like\s|roughly\s|only\s|just\s|really\s)?(?:\$\s?)?$"
)
_NOT_NAMES = frozenset(
    [
        "it", "that", "what", "there", "here", "who", "he", "she", "mine", "yours", "ours", "let", "year", "today",
        "list", "everyone", "everything", "one", "renewal", "price", "which", "where", "how", "this", "we", "i",
        "you", "us", "our", "my", "your", "me", "they", "them", "their", "is", "at", "be", "do", "go", "get",
        "come", "down", "stay", "stays", "sit", "sits", "hold", "land", "landed", "now", "then", "in", "out", "up",
        "start", "starts", "priced", "keep", "right", "number", "quote", "offer", "deal", "total", "plan", "term",
        "contract", "pricing", "cost", "costs", "budget", "ceiling", "target", "so", "and", "or", "but", "if", "to",
        "of", "for", "on", "with", "from", "by", "as", "was", "are", "the", "a", "an", "about", "around", "like",
        "only", "just", "really", "even", "still", "call", "make", "take", "benchmark", "onboarding", "install",
        "installation", "setup", "implementation", "support", "training", "subscription", "license", "licence",
        "platform", "module", "package", "addon", "add-on", "fee", "fees", "engineer", "hire", "team", "board",
        "company"
    ]
)


@functools.lru_cache(maxsize=1)
def _wordpieces() -> tuple[object, object] | None:
    try:
        import os

        import blingfire
    except ImportError:  # pragma: no cover - a dependency
        return None
    return blingfire, blingfire.load_model(os.path.join(os.path.dirname(blingfire.__file__), "bert_base_tok.bin"))


@functools.lru_cache(maxsize=2048)
def is_name(word: str) -> bool:
    """A word outside the common vocabulary (split into several word pieces): a company or product name."""
    loaded = _wordpieces()
    if loaded is None or word in _NOT_NAMES or len(word) < 3:
        return False
    blingfire, model = loaded
    return int((blingfire.text_to_ids(model, word, 8, 100) != 0).sum()) > 1  # type: ignore[attr-defined]


def _named_owner(window: str, value: float, list_price: float | None) -> str | None:
    """'acme's at 34', 'plantview at 44', 'routeone's number was 171', 'fleetwise is 160': another vendor."""
    m = _NAMED.search(window[-50:])
    if not m:
        return None
    word = m.group(1)
    possessive = m.group(0)[len(word):].startswith("'s")
    if word in _NOT_NAMES or (list_price and abs(value - list_price) < 0.5):
        return None
    if is_name(word) or possessive:
        return word
    return None


_PER_MONTH = re.compile(r"^\s?(?:dollars |bucks )?(?:a|per|/)\s?(?:month|mo)\b|^\s?(?:dollars |bucks )?monthly\b")
_PER_UNIT = re.compile(
    r"^\s?(?:dollars |bucks )?(?:(?:a|per) (?:month|year) )?(?:a|per|/|for each|each)\s?"
    r"(?:seat|user|licen[cs]e|truck|vehicle|depot|site|store|head|location|cafe|café|clinic|rep|agent|driver|device|bed|nurse|member)\b"
)


def _outside_range(value: float, after: str, list_price: float | None, before: str = "") -> bool:
    """Whether an amount is too far from the list price to be a price for this deal. A monthly amount is
    compared as twelve months; a price per seat, truck or rep cannot be compared ('$70 a rep a month',
    'per seat drops to 38 dollars')."""
    if not list_price or _PER_UNIT.match(after) or _PER_SEAT_CLAUSE.search(before[-60:]):
        return False
    sentence = re.split(r"[.?!;]\s", before)[-1] + re.split(r"[.?!;]\s", after)[0]
    if _PER_MONTH.match(after) or (not PRICE_RANGE[0] * list_price <= value and _MONTHLY_WORDS.search(sentence)):
        value *= 12
    return not PRICE_RANGE[0] * list_price <= value <= PRICE_RANGE[1] * list_price


def comparable_value(amount: Amount, list_price: float | None) -> float | None:
    """The amount as a yearly price to set against the list price: twelve times a monthly amount ('we'd be 1,200'
    in a sentence about 'a month'); None for a price per seat or truck, which cannot be compared."""
    if not list_price:
        return amount.value
    after = amount.context[amount.end : amount.end + 60]
    before = amount.context[max(0, amount.start - 120) : amount.start]
    if _PER_UNIT.match(after) or _PER_SEAT_CLAUSE.search(before[-60:]):
        return None
    sentence = re.split(r"[.?!;]\s", before)[-1] + re.split(r"[.?!;]\s", after)[0]
    if _PER_MONTH.match(after) or (amount.value < PRICE_RANGE[0] * list_price and _MONTHLY_WORDS.search(sentence)):
        return amount.value * 12
    return amount.value


_AFTER_VENDOR = re.compile(r"^[^.?!]{0,40}\b(?:with them|from them|they (?:quoted|offered|charge))\b")
_REP_SELF = re.compile(r"\b(?:we|we're|our|ours|i|i'm|i'll|i'd|my|us)\b")


def _vendor_before(before: str) -> bool:
    """Another vendor's quote named in this sentence or the one before ('thanks for showing me the acme quote.
    31 thousand the first year…'), with no 'we/our/I' between it and the amount. (A bare name is not
    enough: the rep's own product has one too.)"""
    recent = " ".join(re.split(r"(?<=[.?!])\s", before)[-2:])
    hits = [m.end() for m in re.finditer(r"\b(?:quote|quoted|competitor|other vendor|another vendor|incumbent"
                                         r"|their|they're|they are|the other guys)\b", recent)]
    hits += [m.end() for m in re.finditer(r"\b([a-z][a-z0-9]+)'s (?:proposal|offer|bid|pricing|price|number)\b", recent)
             if is_name(m.group(1))]  # "i saw kestrel's proposal, 27 a seat a month"
    if not hits:
        return False
    return not _REP_SELF.search(recent[max(hits):])


_LIST_AFTER = re.compile(r"\b(?:instead of|rather than|down from|versus|vs\.?|compared to|off)\s(?:the\s)?(?:\$\s?)?$")
"""'you're at 44 instead of 50': the list price the rep's offer is set against is the rep's."""
_TRADE_YOURE_AT = re.compile(
    r"\b(?:years?|term|upfront|up front|prepay|annually|the year|commit\w*|sign\w*|seats?)\b[^.?!]{0,20}\b(?:and|then)"
    r" you(?:'re| are|'d be| would be| pay) (?:at |down to )?(?:about |around |just |only )?(?:\$\s?)?$"
)
"""'two years and you're at 44', 'prepay the year and you're at 13.2': the rep's price for a trade."""
_PAYING_NAME_AFTER = re.compile(r"^\s?(?:a (?:month|year) |per (?:month|year) )?(?:that )?you(?:'re| are) (?:currently "
                                r"|already |now )?paying ([a-z][a-z0-9]+)")
_PAYING_NAME_BEFORE = re.compile(r"\bpaying ([a-z][a-z0-9]+)(?: (?:what|about|around|like|roughly))?,?\s?(?:\$\s?)?$")
"""'the 210 you're paying samsara now', 'you're paying routeone what, 1,200 a month': another vendor's price."""
_YOU_PAY = re.compile(r"\byou(?:'re| are)? (?:already |currently |now )?pay(?:ing)?\s(?:about |around |like |roughly )?"
                      r"(?:\$\s?)?$")
_PAID_NOW = re.compile(r"^\s?(?:dollars |bucks )?(?:a|per) (?:month|year|week) (?:for|on)\b"
                       r"|^[^.?!]{0,25}\b(?:today|now|currently)\b")
"""'the stock app you pay 90 a month for': what the buyer pays today, not a price for this deal ('the way it works
is you pay twelve hundred a month per depot' is the rep's price)."""
_INCUMBENT_AFTER = re.compile(
    r"^[^.?!;]{0,30}?\bfor (?:the |your )?(?:current |existing |old |present )[a-z0-9 -]{0,25}?"
    r"(?:system|platform|software|tool|vendor|provider|solution|setup|contract)\b"
    r"|^[^.?!;]{0,30}?\bfor (?:the |your )[a-z0-9-]+ (?:system|platform|software|vendor|provider|solution)"
    r"(?: (?:today|now|currently))\b"
)
"""'you're paying about 2k a month for your current till system': the incumbent's price, which the rep's product
would replace — another vendor's ('competitor'), not a cost of the problem."""


def owner_of(low: str, start: int, end: int, value: float, list_price: float | None) -> tuple[PriceOwner, str]:
    """Whose amount this is: the nearest owner cue before it in its clause, or what follows it."""
    after = low[end : end + 60]
    if _AFTER_OTHER.match(after):
        return "other", "a cost or saving: " + _AFTER_OTHER.match(after).group(0).strip()  # type: ignore[union-attr]
    window = _clause_window(low, start)
    if list_price and abs(value - list_price) < 0.5 and _LIST_AFTER.search(window[-30:]):
        return "rep", "the list price: " + _LIST_AFTER.search(window[-30:]).group(0).strip()  # type: ignore[union-attr]
    if _TRADE_YOURE_AT.search(window[-50:]):
        return "rep", "the rep's price after a trade: " + _TRADE_YOURE_AT.search(window[-50:]).group(0).strip()  # type: ignore[union-attr]
    paying = _PAYING_NAME_AFTER.match(after) or _PAYING_NAME_BEFORE.search(window[-40:])
    if paying and is_name(paying.group(1)):
        return "competitor", f"paid to another vendor ({paying.group(1)!r})"
    if _THRESHOLD.search(window[-40:]):
        return "other", "an approval threshold"
    you_pay = _YOU_PAY.search(window[-30:])
    if you_pay and _INCUMBENT_AFTER.match(after):
        return "competitor", "the incumbent's price: " + _INCUMBENT_AFTER.match(after).group(0).strip()  # type: ignore[union-attr]
    if you_pay and (not you_pay.group(0).startswith("you pay ") or _PAID_NOW.match(after)):
        return "other", "what the buyer pays today: " + _YOU_PAY.search(window[-30:]).group(0).strip()  # type: ignore[union-attr]
    if _AFTER_BUYER.match(after):
        return "buyer", "the buyer's number: " + _AFTER_BUYER.match(after).group(0).strip()  # type: ignore[union-attr]
    if _AFTER_COMPETITOR.match(after):
        return "competitor", "another vendor's: " + _AFTER_COMPETITOR.match(after).group(0).strip()  # type: ignore[union-attr]
    named = _named_owner(window, value, list_price)
    if named:
        return "competitor", f"another vendor's price ({named!r})"
    if list_price and _outside_range(value, after, list_price, low[max(0, start - 120) : start]) and (
        _CONCEDED_ITEM.search(window[-60:]) or _AFTER_CONCEDED.match(after)
    ):
        return "rep", "an item the rep gives: " + (
            _AFTER_CONCEDED.match(after).group(0).strip() if _AFTER_CONCEDED.match(after)  # type: ignore[union-attr]
            else _CONCEDED_ITEM.search(window[-60:]).group(0)  # type: ignore[union-attr]
        )
    found: list[tuple[int, str, PriceOwner]] = []
    for owner, cues in (
        ("competitor", _COMPETITOR_CUES),
        ("buyer", _BUYER_CUES),
        ("other", _OTHER_CUES),
        ("rep", _REP_CUES),
    ):
        found += [(pos, cue, owner) for pos, cue in _cues(window, cues)]  # type: ignore[misc]
    strong = [f for f in found if f[1] not in _WEAK_REP_CUES]
    if strong and max(found, key=lambda f: f[0])[1] in _WEAK_REP_CUES:
        found = strong  # 'the other quote is around 190k': 'around' says nothing about whose it is
    if found:
        _pos, cue, owner = max(found, key=lambda f: (f[0], len(f[1])))  # 'we came in at' over 'came in at'
        if list_price and owner == "rep" and _outside_range(value, after, list_price, low[max(0, start - 120) : start]):
            return "other", f"far from the list price {list_price:,.0f}"
        return owner, cue
    if list_price and _outside_range(value, after, list_price, low[max(0, start - 120) : start]):
        return "other", f"far from the list price {list_price:,.0f}"
    vendor = _vendor_before(low[:start]) or _AFTER_VENDOR.match(after)
    if vendor:
        return "competitor", "another vendor's, named earlier with no owner of its own"
    return "rep", "no other owner named"


_NOT_PLURAL = frozenset(
    [
        "is", "was", "this", "his", "its", "plus", "less", "yes", "us", "as", "thus", "across", "unless", "versus",
        "vs", "has", "does"
    ]
)


def _counted(after: str) -> bool:
    """Whether a number is followed by what it counts ('nine hundred of your trucks', 'four hundred shippers')."""
    words = re.findall(r"[a-z']+", after)
    while words and words[0] in ("of", "your", "our", "the", "their", "more", "extra", "new", "other", "active"):
        words = words[1:]
    if not words:
        return False
    head = words[0]
    return bool(re.fullmatch(_UNIT_NOUNS, head)) or (head.endswith("s") and head not in _NOT_PLURAL
                                                     and not head.endswith("'s"))


_PRICE_BEFORE = re.compile(
    r"\b(?:at|do|say|said|mentioned|your|the|is|it's|was|to|from|than|instead of|rather than|vs|versus|call it"
    r"|sitting at|hit|want|wants|need|needs)\s$"
)
"""Words just before a bare number that make it a price in a deal with a known list ('cant do 40 sorry', 'is 44
the number', 'your 160 isn't crazy', 'plantview at 44 doesn't include…')."""
_SHORT = re.compile(r"(?<![\d.,$/:-])\b(\d{1,3}(?:\.\d{1,2})?)\b(?![.,:/]?\d)")
_NOT_PRICE_AFTER = re.compile(r"\s?(?:%|percent|per cent|x\b|st\b|nd\b|rd\b|th\b|-[a-z]|am\b|pm\b|a\.m|p\.m|o'clock"
                              r"|ish\b|mph\b|degrees|(?:months?|years?|yrs?|weeks?|quarters?)\b)")
_CLOCK_BEFORE = re.compile(
    r"(?:\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?|\btomorrow|\btmrw|\btoday|\btonight|\bmorning"
    r"|\bafternoon)\.?,?\s(?:(?:morning|afternoon|evening)\s)?(?:at|@)\s?$"
)
"""'friday at 9', 'tomorrow at 10': a time of day, not 9k."""
_PER_SEAT_RATE = re.compile(
    r"(?<![\d.,$])\b(\d{1,3}(?:\.\d{1,2})?)\b(?![.,:/]?\d)(?=\s?(?:dollars |bucks )?(?:a|per|/|each)\s?"
    r"(?:(?P<seat>seat|user|licen[cs]e)|truck|vehicle|driver|device|depot|site|store|location|rep|agent|head)\b)"
)
"""'27 a seat', '29 a seat a month', '99 a truck': a rate per unit (per seat always money; per truck or site when
the message talks money)."""
_PER_SEAT_BEFORE = re.compile(r"\b(?:per|a|each) (?:seat|user|licen[cs]e)\b[^.?!;\d]{0,30}$")
"""'per seat comes down from 42 to 36 a month': numbers after 'per seat' in its clause are per-seat prices."""
_PER_SEAT_CLAUSE = re.compile(r"\b(?:per|a|each) (?:seat|user|licen[cs]e)\b[^.?!;]{0,40}$")
_MONEY_TALK = re.compile(
    r"\$|\b(?:price|pricing|priced|quote|quoted|cost|costs|pay|paying|paid|charge|charges|bucks|dollars|cheaper"
    r"|list|budget|grand|proposal|discount|per month|a month|a year|per year|annual)\b|\d\s?k\b"
)
_PAID_RATE = re.compile(
    r"\b(?:pay|paying|paid|costs?|charges?|charging|be|at)\s(?:about |around |roughly |like )?"
    r"(\d{1,3}(?:\.\d{1,2})?)\s?(?:a|per|/)\s?(?:month|mo|year|yr)\b"
)
"""'the stock app you pay 90 a month for': a small monthly or yearly amount said after a money verb."""
_PAIRED = re.compile(r"^\s?(?:or|to|vs\.?|versus|instead of|rather than)\s(?:the\s)?"
                     r"(\d{1,3}(?:\.\d{1,2})?|\d{1,3}(?:,\d{3})+)\b(?![.,:/]?\d)"
                     r"|^[^\d.?!;]{0,30}?\b(?:versus|vs\.?|compared to)\s(?:the\s)?(\d{1,3}(?:\.\d{1,2})?"
                     r"|\d{1,3}(?:,\d{3})+)\b(?![.,:/]?\d)")
_PAIRED_BEFORE = re.compile(r"(?<![\d.,$])\b(\d{1,3}(?:\.\d{1,2})?)\s?(?:or|to|-)\s?(?:\$\s?)?$")
"""Two numbers said as alternatives or a range ('did you say 40 or 14?', 'from 42 to 36 a month', '190 a truck
… versus the 210'): when one is money, the other is money of the same kind."""
_MONTHLY_WORDS = re.compile(r"\b(?:a month|per month|monthly|/mo|a mo)\b")


def _unit_or_count(low: str, end: int) -> bool:
    """A unit, percent, ordinal, clock or count right after a number (or after the range it starts: '12 to 7
    percent'): it is not money. A verb ('45 keeps it off the board's desk') is not a count."""
    after = low[end : end + 40]
    ranged = re.match(r"\s?(?:to|or|-)\s?\d+(?:\.\d+)?", after)
    if ranged and _unit_or_count(low, end + ranged.end()):
        return True
    if _NOT_PRICE_AFTER.match(after) or re.match(r"\s?" + _UNIT_NOUNS, after):
        return True
    words = re.findall(r"[a-z']+", after)
    verb = bool(words) and (words[0] in _VERBS or (len(words) > 1 and words[1] in (
        "it", "the", "a", "an", "off", "up", "us", "you", "them", "me", "our", "your", "their", "to", "that", "this",
        "for", "like", "on", "all", "high", "low", "steep", "fine")))
    return _counted(after) and not verb


_VERBS = frozenset(("works", "feels", "stands", "includes", "keeps", "covers", "gets", "sounds", "seems", "looks",
                    "makes", "means", "goes", "comes", "puts", "leaves", "takes", "buys", "saves", "pays", "lands",
                    "sits", "holds", "needs", "wants", "beats", "fits", "stays", "says"))


_DOT_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})\.(000)\b(?![.,]\d)")
_SPACE_THOUSANDS = re.compile(
    r"(?<![\d.,])(\d{1,3}) (\d{3})\b(?=\s?(?:€|eur\b|euros?\b|dollars\b|usd\b|per\b|a (?:year|month)\b|for\b|/))"
)


def _thousands_marks(low: str) -> str:
    """'48.000 per year', '41.000 euro', '1 200 for all four cafés': a dot or a space as the thousands mark
    (European and non-native typing) read as '48,000', '1,200'. Same length, so positions hold."""
    return _SPACE_THOUSANDS.sub(r"\1,\2", _DOT_THOUSANDS.sub(r"\1,\2", low))


def amounts(text: str, list_price: float | None = None) -> list[Amount]:
    """Every money amount in the message, in order, with its owner."""
    low = _dollar_ranges(numbers_as_digits(_thousands_marks(normalise(text))))
    found: list[tuple[int, int, float]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in _MONEY.finditer(low):
        number = m.group(1) or m.group(3) or m.group(5)
        unit = m.group(2) or m.group(4) or m.group(6) or ""
        if number is None:
            continue
        found.append((m.start(), m.end(), _unit_value(number, unit)))
        taken.append((m.start(), m.end()))
    def plain(s: int, e: int) -> bool:
        """Free, and not a payment term, a day or a compound ('net 60', 'the 15th', '24-month')."""
        return free(s, e) and not _NOT_MONEY_BEFORE.search(low[max(0, s - 12) : s]) and not re.match(
            r"-[a-z]|(?:st|nd|rd|th)\b", low[e : e + 2]
        )

    money_talk = bool(_MONEY_TALK.search(low)) or bool(found)
    for m in _PER_SEAT_RATE.finditer(low):
        if (m.group("seat") or money_talk) and plain(m.start(1), m.end(1)):
            found.append((m.start(1), m.end(1), float(m.group(1))))
            taken.append((m.start(1), m.end(1)))
    for m in _SHORT.finditer(low):
        if _PER_SEAT_BEFORE.search(low[max(0, m.start() - 50) : m.start()]) and plain(m.start(), m.end()) \
                and not _unit_or_count(low, m.end()):
            found.append((m.start(), m.end(), float(m.group(1))))
            taken.append((m.start(), m.end()))
    for m in _PAID_RATE.finditer(low):
        if plain(m.start(1), m.end(1)):
            found.append((m.start(1), m.end(1), float(m.group(1))))
            taken.append((m.start(1), m.end(1)))
    for m in re.finditer(r"(?<![\d.,$])\b(\d{1,3}(?:,\d{3})+)\b(?![.,]?\d)", low):  # '1,200 a month per depot'
        if (not list_price or not PRICE_RANGE[0] * list_price <= float(m.group(1).replace(",", ""))) and \
                _MONEY_AFTER.match(low[m.end() : m.end() + 20]) and plain(m.start(), m.end()):
            found.append((m.start(), m.end(), float(m.group(1).replace(",", ""))))
            taken.append((m.start(), m.end()))
    if list_price:
        lo, hi = PRICE_RANGE[0] * list_price, PRICE_RANGE[1] * list_price
        for m in _BARE.finditer(low):
            value = float(m.group(1).replace(",", ""))
            sentence = re.split(r"[.?!;]\s", low[: m.start()])[-1] + re.split(r"[.?!;]\s", low[m.end() :])[0]
            monthly = not lo <= value <= hi and lo <= 12 * value <= hi and bool(_MONTHLY_WORDS.search(sentence))
            if plain(m.start(), m.end()) and (lo <= value <= hi or monthly) \
                    and not re.match(r"\s?(?:%|percent)", low[m.end() :]):
                found.append((m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
        if list_price >= 5_000:
            for m in _COLLOQUIAL.finditer(low):
                if m.group(2).startswith("0") and len(m.group(2)) == 2 and not m.group(3):
                    value = float((int(m.group(1)) * 100 + int(m.group(2))) * 1000)  # 'one oh five' → 1 05
                else:
                    value = _colloquial_value(
                        int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
                    ) or 0.0
                if plain(m.start(), m.end()) and lo <= value <= hi:
                    found.append((m.start(), m.end(), value))
                    taken.append((m.start(), m.end()))
            for m in _SHORT_THOUSANDS.finditer(low):
                value = float(m.group(1)) * 1_000
                ranged = re.match(r"\s?(?:to|or|-)\s?\d+(?:\.\d+)?", low[m.end(1) :])
                if plain(m.start(1), m.end(1)) and lo <= value <= hi \
                        and not (ranged and _unit_or_count(low, m.end(1) + ranged.end())) \
                        and not _CLOCK_BEFORE.search(low[max(0, m.start(1) - 30) : m.start(1)]):
                    found.append((m.start(1), m.end(1), value))
                    taken.append((m.start(1), m.end(1)))
            for m in _SHORT.finditer(low):  # 'cant do 40 sorry', 'your 160 isn't crazy'
                value = float(m.group(1)) * 1_000
                if lo <= value <= hi and plain(m.start(), m.end()) \
                        and _PRICE_BEFORE.search(low[max(0, m.start() - 20) : m.start()]) \
                        and not _unit_or_count(low, m.end()) \
                        and not _CLOCK_BEFORE.search(low[max(0, m.start() - 30) : m.start()]):
                    found.append((m.start(), m.end(), value))
                    taken.append((m.start(), m.end()))
    # Numbers said in words, or followed by 'a month' / 'per seat': money even with no list price.
    written = set(re.findall(r"\d+", normalise(text)))
    if not list_price:
        for m in _COLLOQUIAL.finditer(low):  # 'forty-seven five' said with no list price known
            a, b = int(m.group(1)), int(m.group(2))
            if not m.group(3) and 20 <= a <= 99 and 1 <= b <= 9 and not written & {m.group(1), m.group(2)} \
                    and plain(m.start(), m.end()):
                found.append((m.start(), m.end(), float(a * 1000 + b * 100)))
                taken.append((m.start(), m.end()))
    for m in _SPOKEN_BARE.finditer(low):
        value = float(m.group(1))
        said = m.group(1) not in written and value >= 100 and value not in (100, 1000, 1_000_000) and not _counted(
            low[m.end() : m.end() + 40]
        )
        priced = bool(_MONEY_AFTER.match(low[m.end() : m.end() + 20]))
        if (said or priced) and plain(m.start(), m.end()):
            found.append((m.start(), m.end(), value))
            taken.append((m.start(), m.end()))
    if list_price:
        for m in re.finditer(r"(?<![\d.,$])\b(\d{1,3})\s?(?:k\s|grand\s|thousand\s)?apart\b", low):  # "we're 25 apart"
            if plain(m.start(1), m.end(1)) and 1_000 * float(m.group(1)) <= list_price:
                found.append((m.start(1), m.end(1), 1_000 * float(m.group(1))))
                taken.append((m.start(1), m.end(1)))
    for start, end, value in list(found):
        raw = re.search(r"\d[\d,]*(?:\.\d+)?", low[start:end])
        if raw is None or not float(raw.group(0).replace(",", "")):
            continue
        scale = value / float(raw.group(0).replace(",", ""))
        if scale not in (1.0, 1_000.0):
            continue
        pair = _PAIRED.match(low[end:])
        spans = []
        if pair:
            g = 1 if pair.group(1) else 2
            spans.append((end + pair.start(g), end + pair.end(g)))
        before = _PAIRED_BEFORE.search(low[max(0, start - 12) : start])
        if before:
            spans.append((max(0, start - 12) + before.start(1), max(0, start - 12) + before.end(1)))
        for s, e in spans:
            other = float(low[s:e].replace(",", "")) * (1.0 if "," in low[s:e] else scale)
            if plain(s, e) and not _unit_or_count(low, e) and 0.2 * value <= other <= 5 * value:
                found.append((s, e, other))
                taken.append((s, e))
    out = []
    for start, end, value in sorted(found):
        owner, cue = owner_of(low, start, end, value, list_price)
        out.append(Amount(value=value, owner=owner, cue=cue, start=start, end=end, context=low))
    return out


OWNER_HASH_BUCKETS = 2048
_OWNER_WORD = re.compile(r"[a-z']+|\$|\d+")


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode()) % OWNER_HASH_BUCKETS


_VENDOR_WORDS = re.compile(
    r"\b(?:they|they're|theyre|their|theirs|them|quote[sd]?|quoting|vendor|competitor|incumbent|supplier"
    r"|other (?:guys|option|offer|bid|provider))\b"
)

_VENDOR_SUBJECT = re.compile(
    r"\b([a-z][a-z0-9]{3,})(?:'s)? (?:says|said|is|are|was|offers|offered|quoted|came|charges|wants|do|does|can)\b"
)


def _names_vendor(before: str) -> bool:
    """Whether the buyer's words before an amount put it in another vendor's mouth ('RouteOne says 150',
    'they're at 99 a truck'): a vendor word, or a word outside the common vocabulary (a company name)."""
    clause = re.split(r"[.?!;]\s", before)[-1]
    return bool(_VENDOR_WORDS.search(clause)) or any(is_name(w) for w in _VENDOR_SUBJECT.findall(clause))


OWN_NUMBER_HELD = re.compile(
    r"\b(?:still|same|that|the|my|our)\s(?:\$\s?)?\d[\d,.]*k?\s(?:still\s)?(?:stands|holds|is firm|is still|was only"
    r"|only (?:works|applies)|is for|was for)\b"
    r"|\bstill (?:at )?(?:\$\s?)?\d[\d,.]*k?\b[^.?!]{0,40}\b(?:hasn't|has not|hasnt) changed\b"
    r"|\b(?:the|our|my) (?:\$\s?)?\d[\d,.]*k? (?:i|we) (?:quoted|offered|put in|proposed)\b"
)
"""'the 46 stands', 'still 165, that hasn't changed', 'that 44 was only for the three year term': the rep holding
or qualifying its own earlier offer, which the buyer has just repeated — still the rep's number."""


def said_back(found: list[Amount], previous_buyer_line: str, list_price: float | None) -> list[Amount]:
    """The buyer's own number said back ('you said 47, let's do 47', 'What's behind the $90,000?') is the
    buyer's, not the rep's offer (unless the buyer was quoting another vendor)."""
    if not previous_buyer_line or not found:
        return _accepted_in_message(found)
    theirs = amounts(previous_buyer_line, list_price)
    percents = set(re.findall(r"(\d+(?:\.\d+)?)\s?(?:%|percent)", normalise(previous_buyer_line)))
    out = []
    for a in found:
        if a.context[a.start : a.end] in percents:
            continue  # 'we closed at 88%' … 'a 104 call that landed at 88': the buyer's percent, not money
        match = next((t for t in theirs if abs(t.value - a.value) < 0.5), None)
        at_list = bool(list_price) and abs(a.value - (list_price or 0)) < 0.5
        if match is not None and a.owner == "rep" and not at_list and (
            a.cue == "no other owner named" or a.cue in _WEAK_REP_CUES
        ) and not OWN_NUMBER_HELD.search(a.context[max(0, a.start - 25) : a.end + 40]):
            vendor = match.owner == "competitor" or _names_vendor(match.context[: match.start])
            owner: PriceOwner = "competitor" if vendor else "buyer"
            a = Amount(a.value, owner, f"the buyer's own number said back ({match.owner} in their line)", a.start,
                       a.end, a.context)
        out.append(a)
    return _accepted_in_message(out)


def _accepted_in_message(found: list[Amount]) -> list[Amount]:
    """'you said 47, let's do 47': the buyer's number named as theirs earlier in the message and then taken up
    is still the buyer's, not a new offer of the rep's."""
    out: list[Amount] = []
    for a in found:
        earlier = next((b for b in out if b.owner == "buyer" and abs(b.value - a.value) < 0.5), None)
        if earlier is not None and a.owner == "rep" and not OWN_NUMBER_HELD.search(
                a.context[max(0, a.start - 25) : a.end + 40]):
            a = Amount(a.value, "buyer", f"the buyer's number taken up ({earlier.cue!r} earlier)", a.start, a.end,
                       a.context)
        out.append(a)
    return out


def owner_features(amount: Amount, list_price: float | None, index: int, count: int) -> np.ndarray:
    """What the learned owner model sees: hashed words around the amount, its rule owner, its size."""
    low = amount.context
    left = _OWNER_WORD.findall(low[max(0, amount.start - 90) : amount.start])[-10:]
    right = _OWNER_WORD.findall(low[amount.end : amount.end + 60])[:6]
    x = np.zeros(OWNER_HASH_BUCKETS + 16)
    for i, w in enumerate(reversed(left)):
        x[_bucket("L:" + w)] += 1.0 if i < 4 else 0.5
        if i < 3:
            x[_bucket(f"L{i}:" + w)] += 1.0
    for i, w in enumerate(right):
        x[_bucket("R:" + w)] += 1.0 if i < 3 else 0.5
    for a, b in itertools.pairwise(left):
        x[_bucket(f"LB:{a} {b}")] += 0.7
    for w in _OWNER_WORD.findall(low):
        x[_bucket("M:" + w)] += 0.2
    base = OWNER_HASH_BUCKETS
    x[base + ("rep", "competitor", "buyer", "other").index(amount.owner)] = 1.0
    ratio = amount.value / list_price if list_price else 0.0
    x[base + 4] = float(bool(list_price))
    x[base + 5] = min(ratio, 3.0)
    x[base + 6] = float(bool(list_price) and ratio < 1.0)
    x[base + 7] = float(bool(list_price) and (ratio < 0.3 or ratio > 2.0))
    x[base + 8] = float(index == 0)
    x[base + 9] = float(index == count - 1)
    x[base + 10] = float(count > 1)
    x[base + 11] = float(amount.value < 1000)
    x[base + 12] = float(amount.cue.startswith("the buyer's own number"))
    return x


def discount_percents(text: str) -> list[float]:
    """Percentages offered off the price ('8% off', 'a ten percent discount')."""
    low = numbers_as_digits(normalise(text))
    return [
        float(m.group(1))
        for m in PERCENT.finditer(low)
        if re.search(
            r"discount|\boff\b|knock|price|rebate|cheaper|reduc(?!tion)|lower|\byours\b|\bgive\b"
            r"|\bi can (?:still )?do\b|sharpen|^ to (?:me|us)\b",
            low[m.end() : m.end() + 30] + " " + low[max(0, m.start() - 30) : m.start()],
        )
    ]
