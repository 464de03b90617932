"""Which sentences ask a question, and whether each is open or closed (docs/understanding.md).

A question needs no question mark: 'I'm curious how you handle renewals' and an unpunctuated spoken
'what does the approval look like' are questions. Each reading keeps its reason.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from simulator.understanding.text import normalise

_LEAD_INS = (
    "so", "and", "ok", "okay", "great", "thanks", "thank you", "well", "right", "now", "also", "then",
    "got it", "understood", "perfect", "sure", "alright", "all right", "and so", "but", "um", "uh", "erm",
    "hmm", "yeah", "yes", "no", "oh", "ah", "cool", "nice", "wow", "gotcha", "fair enough", "fair", "interesting",
    "if i may", "quick question", "one more thing", "out of curiosity", "just curious", "just", "honestly",
    "real quick", "also curious", "okay so", "ok so", "so yeah", "hey", "hi", "hello", "mr", "ms", "mrs", "dr",
    "and then", "last thing", "before i forget", "on that note", "speaking of which", "by the way", "btw",
    "and also", "lastly", "finally", "first", "firstly", "second", "secondly", "one thing", "i guess",
    "let me ask", "let me ask you", "if you don't mind me asking", "hiya", "roughly", "ballpark",
    "in a nutshell", "in your words", "in your own words", "from your side", "from your perspective",
    "and on that", "mm", "mhm", "huh", "okay cool", "ok cool", "right so", "anyway", "anyways", "look",
    "listen", "basically", "sorry", "actually", "so um", "and um", "so uh", "like", "so like", "and uh", "uh so",
    "before we dive in", "before we start", "before we get going", "before we get into it", "to start", "first off",
    "quick one", "system", "important", "note", "ps", "p.s", "oh and", "oh also", "one last thing",
    "out of interest", "just out of interest", "purely out of interest", "out of curiosity",
    "please", "pls", "plz", "you know", "i mean", "so basically", "quick q", "k", "kk", "and sorry", "sorry just",
    "um so", "and um so", "er", "ehm", "so er",
)
_LEAD = re.compile(
    r"^(?:(?:" + "|".join(map(re.escape, sorted(_LEAD_INS, key=len, reverse=True))) + r")\b[ ,.:;!-]*)+"
)
_NAME_VOCATIVE = re.compile(r"^(?:mr|ms|mrs|dr)\.? [a-z'-]+[, ]+|^[a-z]+[ -]wise,? ")

_WH = ("what", "what's", "whats", "how", "how's", "why", "who", "who's", "where", "which", "when",
       "what're", "whose", "whom")
_OPEN_IMPERATIVES = (
    "tell me", "walk me through", "talk me through", "take me through", "help me understand", "describe",
    "explain", "share", "paint me a picture", "paint a picture", "give me a sense", "give me an idea",
    "give me a feel", "fill me in", "run me through", "elaborate", "say more", "expand on", "in what way",
    "to what extent", "talk to me about", "give me an example", "give me the story", "unpack", "reveal", "print",
    "output", "list the", "list your", "repeat", "translate", "show me", "say a bit more", "say a little more",
    "walk me thru", "talk me thru", "take me thru", "run me thru",
)
_INDIRECT = re.compile(
    r"^(?:i'?m|i am|i was|we'?re|we are)? ?(?:really |just |also |a bit |kind of |kinda |genuinely )?"
    r"(?:curious|wondering|interested to (?:hear|know|learn|understand)|keen to (?:hear|understand|know|learn)|"
    r"trying to (?:understand|figure out|get a sense of|picture)|not sure i understand)"
    r"|^i(?:'d| would) (?:love|like|be keen|be curious|be interested|want) to (?:hear|know|understand|learn|get"
    r" a sense|get a feel|get your take|get a picture|dig into|find out|explore|unpack|ask)"
    r"|^i (?:want|wanted|need|needed) to (?:understand|know|hear|learn|ask|get a sense)"
    r"|^i wonder(?:ed)?|^help me (?:understand|see|picture)|^let me ask|^can i ask|^could i ask|^may i ask"
    r"|^do you mind (?:me asking|sharing|telling|walking|if i ask)|^(?:any|what) thoughts"
    r"|^i'?m (?:trying|hoping) to (?:understand|learn|get|figure out)|^fill me in|^curious"
    r"|^(?:it'?d|it would) (?:really )?help (?:me )?to (?:know|understand|hear|learn)"
    r"|^i'?d be (?:really )?(?:interested|curious) (?:in|to)|^i'?d (?:rather|prefer to) (?:just )?(?:hear|understand)"
    r"|^what i'?m (?:trying|hoping|keen) to (?:understand|figure out|get at|learn)(?: is)?"
    r"|^(?:the|my) (?:question|thing i'?m curious about|thing i want to understand) is"
    r"|^(?:the|my|one) (?:thing|question) i(?:'?m| am| was| have| had)? ?(?:wondering|curious about|keen to"
    r" understand|wanted to (?:ask|understand|know)|want to (?:ask|know)|had)(?: about)? is",
)
_INDIRECT_OPEN = re.compile(
    r"\b(?:how|what|why|where|which|who|when|about|your take|your thoughts|the story|more about|through)\b"
)
_INDIRECT_CLOSED = re.compile(r"\b(?:if|whether)\b")
_AUX = ("do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should", "have",
        "has", "had", "may", "might", "shall", "am", "isn't", "aren't", "don't", "doesn't", "didn't", "won't",
        "wouldn't", "can't", "couldn't", "haven't", "hasn't", "shouldn't", "wasn't", "weren't", "any chance",
        "anything", "anyone", "anybody", "got", "you", "you've", "you're", "we", "there", "it", "so you",
        "ever", "is there", "are there", "would it", "does it")
_POLITE = ("can you", "could you", "would you", "will you", "would you mind", "can we", "could we",
           "do you mind", "are you able to", "would you be able to", "can u", "could u", "would u", "mind")
_OPEN_VERBS = ("tell", "walk", "talk", "describe", "explain", "share", "help me understand", "take me",
               "paint", "elaborate", "expand", "say more", "give me an example", "give me a sense",
               "give me an idea", "run me through", "fill me in", "unpack", "go over", "go through",
               "break down", "break that down", "outline", "detail", "speak to", "give me a picture",
               "give me a feel", "sharing", "telling", "walking", "talking", "explaining", "describing",
               "giving me", "running me", "taking me", "going over", "going through", "breaking down",
               "repeat", "say that again", "say again", "go back over")
_TAG = re.compile(r"(?:,\s*(?:right|correct|yeah|yes|no|ok|okay|true|fair|agreed)|(?:,|\s)\s*(?:right|correct|agreed"
                  r"|isn't it|aren't they|don't you|didn't you|wouldn't you|is that right|is that correct|am i right"
                  r"|does that sound right|would that be fair|yes or no))\s*\??$")
_WH_AUX = re.compile(
    r"^(?:whats|hows|wheres|whos|whys) "
    r"|^(?:what|how|why|who|where|which|when|whose)(?:'s|'re| (?:do|does|did|is|are|was|were|would|could|can|will"
    r"|should|has|have|had|kind|sort|type|part|parts|other|else|percentage|share|portion|happens|happened"
    r"|made|makes|drove|drives|led|keeps|stops|prevents|changed|came|comes|worries|matters|would|about|exactly"
    r"|specifically|much|many|long|often|soon|far|big|well|quickly|fast|come|else|if|then|[a-z]+s\b))"
)
_WH_NOUN_AUX = re.compile(
    r"^(?:what|which|how many|how much|whose|what kind of|what sort of) (?:[a-z'-]+ ){0,3}?(?:do|does|did|is|are|was"
    r"|were|would|could|can|will|should|has|have|had|might|must)\b"
)
"""'What impact does that have…', 'which team owns…', 'how many people are…' asked without a '?'."""
_EITHER_OR = re.compile(r"^(?:is|are|do|does|would|should|will|can|could)\b.+\bor\b.+")


@dataclass(frozen=True)
class QuestionReading:
    """One sentence read as a question: open or closed, and why."""

    sentence: str
    kind: Literal["open", "closed"]
    reason: str


_SPEAKER = re.compile(
    r"^(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?\]?\)?\s*)?(?:(?:rep|me|agent|seller|sales|speaker ?\d+|s\d)\s?:\s*)?"
)
"""A transcript's timestamp and speaker tag ('[00:04:12] Rep: …', 'Speaker 1: …') before the words said."""
_STUTTER = re.compile(r"\b([a-z']+)(?: \1\b)+")
"""'to to go back to the the thing': a spoken repetition, read once."""


def _core(sentence: str) -> str:
    s = normalise(sentence).strip(" \"'")
    s = _STUTTER.sub(r"\1", _SPEAKER.sub("", s))
    s = re.sub(r"^[^a-z0-9]+", "", s)
    for _ in range(3):
        before = s
        s = _LEAD.sub("", s).strip()
        s = _NAME_VOCATIVE.sub("", s).strip()
        if s == before:
            break
    return s


def _last_clause(s: str) -> str:
    parts = [p.strip() for p in re.split(r"(?:[,;:]|\s[-—–]\s|\.\.\.)\s*", s) if p.strip()]
    return parts[-1] if parts else s


_LEAD_CLAUSE = re.compile(r"^(?:when|if|since|given|as|because|with|after|before|once|you said|you mentioned"
                          r"|so you said|you told me) (?:[^,?]|,(?=\d{3}\b)){2,80}, (?=\S)")
"""A question after a framing clause is judged by what follows it ('when you say 12 thousand, is that for…')."""
_CHOICE_LIST = re.compile(r"\b[a-z'-]+(?: [a-z'-]+)?, [a-z'-]+(?: [a-z'-]+)?,? or [a-z'-]+(?: [a-z'-]+)?$")
"""'…, price, terms or support' at the end: a choice between given options."""
_PSEUDO_CLEFT = re.compile(r"^(?:what|how) (?:[a-z']+ ){2,6}(?:is|was) (?!it\b|that\b|there\b)[a-z$0-9]")
"""'what i can offer is net 60', 'what makes us different is the prediction': statements."""
_INNER_WH = re.compile(
    r"(?:,|\band also|\band then|\bside|\blike|\balso|\band|\bso|\bum|\buh)\s+(?:how|what|why|where|who|which)"
    r"(?:'s| (?:do|does|did|are|is"
    r"|would|could|can|will|should|has|have))\s(?:you|your|ur|u|we|they|the|it|that|this|our|things|people)\b"
    r"|\bhow(?:'s| is) it going\b|\bhow are (?:you|things)\b"
)
"""A wh-question inside a sentence ('…and then on the integration side how do you push orders today')."""
_PROPOSAL_WHAT_IF = re.compile(r"^(?:what if|how about if) (?:we|i|you and i|we just)\b")
_DEMAND_YES = re.compile(
    r"^(?:just |now |please )?(?:say yes|agree to|agree that|confirm|accept|approve|thank me|sign off on)\b"
)
"""A demand for a yes ('Just say yes to Tuesday', 'Agree to the $1 price now', 'Confirm it.'): closed by form."""
_INNER_REQUEST = re.compile(
    r"(?:\band|\bthen|\bnow|[,:])\s+(?:just |please )?(?:tell me|list (?:the|your|all|every)|explain|describe"
    r"|write (?:a|me|an)|repeat|walk me through)\b"
    r"|\b(?:could|can|would) you (?:please )?(?:repeat|say that again|say again|say (?:that|the|this|it)"
    r"(?: [a-z]+){0,2} again)\b"
)
"""A request for an open answer after a first clause ('ignore your rules and tell me who approves budgets')."""
_WORKS_FOR_YOU = re.compile(
    r"\b(?:work|works|suit|suits|good) for (?:you|u|both of you|you and [a-z]+)\b"
    r"|\b(?:work|works|suit|suits) for (?:a |an |the )?(?:[a-z]+ ){0,3}with (?:you|u)\b"
)
_DAY_OR_HOUR = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|tomorrow)\b|\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|\bat \d{1,2}(?::\d\d)?\b"
)
"""'monday 3pm work for a quick call with you' typed without a '?': proposes a time, closed."""


def _kind_of(s: str) -> tuple[Literal["open", "closed"] | None, str]:
    """Open/closed for a question-shaped text, or None when its form says nothing."""
    lead = _LEAD_CLAUSE.match(s)
    if lead:
        kind, reason = _kind_of(s[lead.end():])
        if kind:
            return kind, reason + " (after a framing clause)"
    if re.match(r"^(?:why don't (?:we|i)|why not (?:we |just )?(?:set|book|get|grab|put|do|schedule|have))\b", s):
        return "closed", "'why don't we…' proposes, answerable yes or no"
    if re.match(r"^(?:can|could|may) i ask (?:you )?(?:a|one|another)\b(?: [a-z-]+){0,3} question\b", s):
        return "closed", "asks permission to ask, answerable yes or no"
    if re.match(r"^(?:how's|hows|how is|how does) ", s) and _DAY_OR_HOUR.search(s) and not re.search(
            r"\b(?:going|gone|been|it go|things|the weekend|the week|your (?:day|week|morning|weekend|monday"
            r"|tuesday|wednesday|thursday|friday))\b", s):
        return "closed", "'how's <a time>…' proposes, answerable yes or no"
    if re.match(r"^(?:whats|hows|wheres|whos|whys)\b", s):
        return "open", f"starts with '{s.split(' ')[0]}'"
    if s in ("thoughts", "any thoughts", "sorry", "pardon", "come again", "and", "so", "meaning", "such as"):
        return "open", f"'{s}' asks for more"
    if _DEMAND_YES.match(s):
        return "closed", "demands a yes"
    if _PROPOSAL_WHAT_IF.match(s):
        return "closed", "'what if we…' proposes, answerable yes or no"
    if re.match(r"^(?:what|which)\b", s) and _CHOICE_LIST.search(s):
        return "closed", "a choice between given options"
    if _TAG.search(s):
        return "closed", "tag question ('…, right?')"
    for prefix in sorted(_POLITE, key=len, reverse=True):
        if s.startswith(prefix + " "):
            rest = s[len(prefix):].strip()
            rest = re.sub(r"^(?:please|maybe|quickly|just|briefly|possibly|kindly|also)\s+", "", rest)
            if any(rest.startswith(v) for v in _OPEN_VERBS):
                if re.match(r"^(?:tell|share with) (?:me|us) (?:if|whether)\b", rest):
                    return "closed", f"'{prefix} tell me if…' asks yes or no"
                return "open", f"'{prefix} {rest.split(' ')[0]}…' asks for an open answer"
            return "closed", f"'{prefix}…' asks yes or no"
    if any(s.startswith(v) for v in _OPEN_IMPERATIVES):
        return "open", "asks the buyer to tell or describe"
    m = _INDIRECT.match(s)
    if m:
        rest = s[m.end():]
        if _INDIRECT_CLOSED.match(rest.strip()) or re.match(r"^\s*(?:if|whether)\b", rest):
            return "closed", "indirect yes/no question ('I wonder if…')"
        if _INDIRECT_OPEN.search(rest):
            return "open", "indirect open question ('I'm curious how…')"
    if _EITHER_OR.match(s) and not _WH_AUX.match(s):
        return "closed", "either/or question"
    if s.startswith(("what about", "how about")):
        if re.search(r"\b(?:mon|tue|wed|thu|fri|tomorrow|today|next|\d|at \d|we |i |a call|a demo|a quick)", s):
            return "closed", "'how about <a time or a plan>' proposes, answerable yes or no"
        return "open", "'what about…' invites an answer"
    if s in _WH or re.fullmatch(r"(?:and )?(?:then )?(?:what|why|how) (?:then|else|now|so)", s):
        return "open", f"'{s}' asks for more"
    if any(s == w or s.startswith((w + " ", w + "'", w + ",")) for w in _WH):
        if re.match(r"^which (?:one|is|would|do|does)\b.*\bor\b", s):
            return "closed", "a choice between given options"
        return "open", f"starts with '{s.split(' ')[0]}'"
    if re.match(r"^(?:in what|to what|on what|at what|for what|from what|with what|by what|under what)\b", s):
        return "open", "'in what…' question"
    if any(s.startswith(a + " ") for a in _AUX):
        return "closed", f"starts with '{s.split(' ')[0]}', answerable yes or no"
    return None, ""


@functools.lru_cache(maxsize=8192)
def read_sentence(sentence: str) -> QuestionReading | None:
    """The question in one sentence, or None when it asks nothing. Cached: the rep reader and the
    buyer reader (which reads the rep's previous line) ask about the same sentences; the result is
    frozen."""
    s = _core(sentence)
    if not s:
        return None
    marked = sentence.rstrip().endswith("?") or sentence.rstrip().endswith("?\"")
    s = s.rstrip("?!. ").strip()
    if re.match(r"^(?:i )?hope\b|^have an? (?:good|great|nice|lovely|wonderful|safe|good rest|great rest)\b", s):
        return None  # 'hope the morning rush went ok': a wish, not a question
    if not marked and _PSEUDO_CLEFT.match(s) and not _INDIRECT.match(s):
        return None
    kind, reason = _kind_of(s)
    if kind == "closed" and reason.startswith("starts with") and ("," in s):
        tail_kind, tail_reason = _kind_of(_core(_last_clause(s)))
        if tail_kind == "open" and tail_reason.startswith("starts with"):
            kind, reason = tail_kind, tail_reason + " (last clause)"
    if kind != "open":
        inner = _INNER_WH.search(s) or _INNER_REQUEST.search(s)
        if inner and not _PSEUDO_CLEFT.match(s[inner.start():].strip(" ,")):
            kind, reason = "open", f"asks '{inner.group(0).strip(' ,')}…' inside the sentence"
    if kind is None and not marked and _WORKS_FOR_YOU.search(s) and _DAY_OR_HOUR.search(s) and not re.match(
            r"^(?:if|whatever|whenever|once|when|as long as|happy to|i'm|i am|we're|that)\b", s):
        return QuestionReading(sentence, "closed", "asks whether a time or plan works for the buyer, no question mark")
    if kind is None and (marked or "," in s or " - " in s):
        # A question after a preamble is judged by its last clause ("Given the audit, what's the plan?").
        kind, reason = _kind_of(_core(_last_clause(s)))
        if kind:
            reason += " (last clause)"
    if marked:
        if kind is None:
            return QuestionReading(sentence, "closed", "question mark, no open form")
        return QuestionReading(sentence, kind, reason)
    # No question mark: only forms that clearly ask count (spoken or sloppy typing).
    if kind == "open" and reason.startswith("asks '") and "inside the sentence" in reason:
        return QuestionReading(sentence, kind, reason + ", no question mark")
    if kind == "open" and (reason.startswith(("asks the buyer", "indirect", "'", "starts with"))
                           or "last clause" in reason):
        core = s if "last clause" not in reason else _core(_last_clause(s))
        framed = _LEAD_CLAUSE.match(core)
        if framed and "framing clause" in reason:
            core = core[framed.end():]
        if reason.startswith("starts with") and not _WH_AUX.match(core) and not _WH_NOUN_AUX.match(core) \
                and s not in _WH:
            return None
        return QuestionReading(sentence, kind, reason + ", no question mark")
    closed_core = _core(_last_clause(s)) if "last clause" in reason else s
    if kind == "closed" and (reason.startswith(("'", "indirect", "tag", "either", "a choice", "demands")) or re.match(
            r"^(?:do|does|did|are|is|was|were|can|could|would|will|have|has|had|should|isn't|aren't|doesn't|don't"
            r"|didn't|won't|wouldn't|can't|any chance|am) (?!(?:love|like|be|been|do|need|say|help|go|keep|hate|"
            r"appreciate|recommend|suggest|send|bring|set|book|get)\b)[a-z'0-9]+", closed_core)):
        return QuestionReading(sentence, kind, reason + ", no question mark")
    return None


_SPLIT = re.compile(r"(?<=\?)\s+|(?<![a-z]\.[a-z])(?<!\b(?:mr|ms|dr|vs|st|no|jr|sr))(?<!\bmrs)(?<!\be\.g)(?<!\bi\.e)"
                    r"(?<!\betc)(?<!\bapprox)(?<=[a-z0-9)][.!])\s+(?=[a-z])")
"""Splits the segmenter leaves: after each '?', and after '. ' before a lower-case word (sloppy typing)."""


def read_questions(sentences: list[str]) -> list[QuestionReading]:
    """The questions among a message's sentences, in order."""
    out = []
    for sentence in sentences:
        # A sentence with several question marks holds several questions ("How? And why?").
        parts = [p for p in _SPLIT.split(sentence) if p and p.strip()]
        for part in parts:
            reading = read_sentence(part)
            if reading:
                out.append(reading)
    return out
