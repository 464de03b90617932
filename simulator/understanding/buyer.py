"""Read one buyer line: does it agree, refuse, object, ask or deflect? (grading real calls)

Labels are defined in docs/understanding.md; the choices where that leaves room are in
tests/data/buyer_lines/CONVENTIONS.md. Rules read the line clause by clause and give first readings
with reasons; a learned model per label (logistic regression over the sentence embedding, hashed
word n-grams and the question cues of the rules; scripts/buyer_training.py says what it learns from
and why the other cues get no weight) decides when it is installed.

'No. Please stop calling me, okay?' is a refusal: a refusal, an objection, sarcasm or a condition
outweighs an 'okay' in the same line, and a tag 'okay?' is not a question.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from simulator.understanding import classifier
from simulator.understanding.definitions import BUYER_LABELS, MAX_ANALYSED_CHARS
from simulator.understanding.ngrams import BUCKETS, ngram_features
from simulator.understanding.text import has_letters, normalise, sentences, visible_text, words_of

EMBEDDING_DIMENSIONS = 384


def _rx(*patterns: str) -> re.Pattern[str]:
    """One regex over whole words for a cue list (each item may use regex syntax)."""
    return re.compile(r"(?<![a-z0-9'])(?:" + "|".join(patterns) + r")(?![a-z0-9'])")


_NUM = (r"(?:\$?\d[\d,.]*k?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
        r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a hundred)")
_DAY = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|"
        r"tomorrow|today|tonight|the \d+(?:st|nd|rd|th)?|\d+(?:st|nd|rd|th))")

# Each cue is one feature of the learned model and a reason the rules can give.
CUES: dict[str, re.Pattern[str]] = {
    # --- agreement ---
    "yes_start": re.compile(
        r"^(?:(?:oh|well|um|uh|hmm|hm|mm|ah|i mean)[ ,.…-]*)?(?:yes|yeah|yep|yup|ya|yea|yah|sure|ok|okay|k|kk|"
        r"alright|all right|fine|absolutely|definitely|certainly|totally|of course|agreed|deal|done|perfect|"
        r"exactly|correct|right|great|cool|good)(?![a-z'])"),
    "accept": _rx(
        r"sounds? (?:good|great|fine|sensible|reasonable|fair|like a plan|right)", r"(?:that|this|it|which) works",
        rf"{_DAY}(?:'s)? works", r"works? (?:for|with) (?:me|us)", r"(?:that|it) (?:would|will|should|'d|'ll) work",
        r"that'd work", r"fine (?:by|with) (?:me|us)", r"(?:i|we) can live with (?:that|it|this)",
        r"can't argue with (?:that|it)", r"i'm in", r"count (?:me|us) in", r"let's do (?:it|that|this)",
        r"let's (?:try|go with|sign|book|shake|lock|get (?:it|that|this) (?:booked|done|started|going))",
        r"go ahead", r"go on then", r"you've got (?:yourself )?a deal", r"(?:it's|that's|we have|we've got) a deal",
        r"^deal", r"^done", r"agreed", r"i agree", r"happy to", r"(?:i'm|we're|i am|we are) happy with",
        r"sign me up", r"book it", r"put (?:it|me|us) (?:in|down)", r"lock it in", r"send (?:it|them) (?:over|across)",
        r"send the (?:paperwork|contract|order form|invite|invitation|agreement|docs|documents|papers|po|dpa)",
        r"send me the (?:paperwork|contract|order form|invite|agreement|docs)", r"(?:i'll|we'll|i will|we will) sign",
        r"why not", r"(?:don't|do not) see why not", r"of course", r"spot on", r"that's (?:it|right|correct)",
        r"that helps", r"what i needed to hear", r"fair enough", r"i like (?:that|it|the sound)",
        r"we're aligned", r"(?:i|we) can (?:do|make|manage|swing) (?:that|it|this|" + _DAY + r")",
        r"(?:i|we) can (?:work|go) with (?:that|it|this)",
        r"(?:that's|that is|it's|that sounds) (?:fine|ok|okay|good|great)",
        rf"{_DAY}(?:'s| is) (?:fine|good|great|perfect)", r"(?:it|that) is then", rf"{_DAY} it is", r"it is\.?$",
        r"in line with", r"i'll take (?:it|that)", r"take that back as a win", r"(?:we|i) (?:can|could) do a",
        r"(?:i'll|i will|i can|i'd like to|i would like to|happy to) (?:donate|give|contribute)",
        # A commitment in any words: "I would be willing to donate", "I'll make a $20 donation today",
        # "we'll buy forty seats", "I can afford $5". Not when a condition follows in the same sentence.
        r"(?:i|we)(?:'ll|'d|'m|'re| will| would| can| could| am| are)? (?:\w+ ){0,2}(?:willing|glad|happy|able|"
        r"ready|going) to (?:donate|give|contribute|help|buy|sign|commit|pay|purchase|order|go ahead|move forward|"
        r"do (?:that|it|this))",
        r"(?:i'll|i will|we'll|we will|i'd|we'd|i would|we would|i can|we can|i could|we could|i'm going to|"
        r"i am going to|we're going to|i'm gonna|i shall) (?:\w+ ){0,3}?(?:donate|contribute|"
        r"give\b(?! (?:it|you|this|that|them) (?:some |a |more )?(?:thought|consideration|call|ring|think|shout))|"
        r"make (?:a|the|my|our|that) (?:\S+ )?(?:donation|purchase|order|payment|commitment)|buy|purchase|order|"
        r"sign (?:up|on|it|the|today))(?![^.?!]* (?:if|unless|once|provided|as long as) )",
        r"(?:i|we) (?:can|could) (?:afford|spare|do|manage|stretch to) (?:\$ ?\d[\d.,]*|\d[\d.,]*|a dollar|"
        r"one dollar|half|fifty|twenty|ten|five)",
        r"(?:i was|i am|i'm|we were|we are|we're) thinking (?:of |about )?(?:\$ ?\d[\d.,]*|\d[\d.,]*|a dollar|"
        r"one dollar|half)",
        r"makes sense", r"you're on", r"i'm up for", r"sold", r"consider it done", r"we're good to go",
        r"let's get started", r"how do we get started", r"what's the next step", r"you've convinced me",
        r"i'll take the", r"that's a yes", r"yes from me", r"signed", r"that'll do"),
    "bare_ack": re.compile(
        r"^(?:(?:hm+|mm+|um|uh|oh|ah|right|well)[ ,.…!-]*)*(?:ok|okay|k|alright|all right|noted|understood|got it|"
        r"i see|right|sure|yes|yeah|yep|fine|good|great|cool|mhm|uh-huh)[ .!…]*$"),
    # --- refusal ---
    "no_start": re.compile(
        r"^(?:(?:ok|okay|yeah|well|oh|um|uh|actually|so|look|sorry|honestly|hm+)[ ,.…-]*)?(?:no|nope|nah|no no)"
        r"(?![a-z'])(?! (?:problem|worries|worry|rush|doubt|questions?|question|wonder|way i|one|matter|need to|"
        r"thanks to|big deal|issue|pressure)\b)"),
    "refuse": _rx(
        r"no thanks?", r"no thank you", r"not interested", r"stop calling", r"(?:don't|do not|never) call",
        r"take (?:me|us) off", r"remove (?:me|us)", r"hang(?:ing)? up", r"(?:i'll|we'll|i will|we will|gonna) pass",
        r"^pass", r"(?:i'd|we'd|i would|we would) rather (?:not|keep|stick|hold|wait)", r"rather not",
        r"not sharing", r"(?:won't|can't|not going to|not gonna) (?:share|give you|tell you|say|disclose)",
        r"not going to (?:happen|do|sign|work|commit|move|buy|agree)", r"not gonna (?:happen|do|sign|work)",
        r"(?:i|we) won't be (?:signing|doing|buying|moving|taking|booking)", r"(?:i|we) won't", r"decline",
        r"no can do", r"(?:absolutely|definitely|certainly) not", r"hard no", r"(?:i'm )?afraid not", r"let's not",
        r"(?:it's|that's) a no", r"(?:say|saying) no", r"out of the question", r"not something (?:we|i)'?d?",
        r"not for (?:us|me)", r"(?:doesn't|does not|won't|will not|isn't going to|is not going to) work",
        r"(?:no|not) good", r"too (?:soon|early|late)", r"can't do (?:that|it|this|" + _DAY + r")", r"^can't",
        r"(?:can't|cannot|won't) (?:sign|commit|make it|do it|agree|accept|go (?:with|for)|meet|attend|join)",
        r"(?:we're|i'm|we are|i am) (?:all set|good)(?: thanks| for now)?\.?$", r"^(?:i'm|we're) (?:all set|good)",
        r"decided (?:to|against)", r"(?:going|went|go) with (?:the other|another|our current|someone|them)",
        r"stay(?:ing)? with (?:our|the|what)", r"not (?:this|next) (?:year|week|month|quarter|time)", r"not today",
        r"hold off", r"(?:we|i) don't do", r"^no [a-z]+s\.", r"not doing", r"something came up",
        r"(?:we're|i'm|we are|i am) not (?:going to|gonna) (?:do|sign|buy|pay|commit|move|take|give|be)",
        r"(?:i|we) (?:don't|do not) want", r"not (?:now|right now|at this time|at the moment)\.?$",
        r"hell freezes", r"pigs fly", r"over my dead body", r"in your dreams", r"not a chance", r"^no way",
        r"not happening", r"not (?:at|for) " + _NUM, r"^not (?:the |on |at |this |that )?" + _DAY,
        r"i'll have to (?:decline|say no|pass)", r"(?:we're|i'm) out", r"not willing",
        r"keep (?:it|that) (?:with|to) me",
        r"(?:no|not) (?:logos|quotes|pilots|trials|references)", r"(?:i|we) don't think (?:so|we will|i will)",
        r"(?:won't|not) be (?:able|possible)", r"not possible", r"(?:i|we) can't\.?$", r"^(?:i|we) can't,",
        # A negated commitment in any words: "I will not be making a donation", "we don't want to sign",
        # "I'm unable to help", "I would like to donate $0".
        r"(?:i|we)(?:'m|'re| am| are)? (?:will not|won't|wont|do not|don't|dont|would not|wouldn't|cannot|can't|"
        r"cant|am not|are not|'m not|'re not|not|never) (?:\w+ ){0,3}?(?:donat\w*|contribut\w*|giv(?:e|ing)|"
        r"buy(?:ing)?|purchas\w*|sign(?:ing)? (?:up|on|it|the|anything|today)|commit\w*|spend(?:ing)?|"
        r"pay(?:ing)? for|part with|invest(?:ing)?)\b(?! (?:up|away|back|it a (?:try|go|shot)))",
        r"(?:unable|not able) to (?:help|donate|give|contribute|commit|do (?:that|it|this)|buy|sign|pay)",
        r"(?:donate|give|contribute|pay|spend|offer)s? (?:\$ ?0(?:\.0+)?(?!\.?\d)|0 (?:dollars|cents)|nothing|zero)",
        r"keep (?:my|our|the) (?:money|bonus|payment|earnings|budget)", r"not (?:making|doing) (?:a|any) (?:donation|"
        r"purchase|deal|commitment)", r"(?:that|this|it) is (?:impossible|not possible)",
        r"(?:i|we) (?:have|will have|'ll have) to (?:say no|decline|pass)",
        r"(?:don't|do not) think (?:i|we)(?:'d|'ll| would| will| can| could) (?:\w+ )?(?:donate|give|contribute|buy|"
        r"sign|commit|purchase|pay)"),
    "factual_no": re.compile(
        r"^(?:no|nope|nah)[ ,.!-]+(?:we|i|it|they|that|there|not yet|never|just|only|mostly|it's|we've|i've|"
        r"we're|they're|that's|he|she)\b"),
    # --- objection ---
    "price": _rx(
        r"too (?:expensive|high|much|steep|pricey|costly|rich)", r"expensive", r"pricey", r"steep", r"costly",
        r"over (?:budget|our budget|my budget|what we)", r"out of (?:budget|our budget|our price range|our league)",
        r"no budget", r"budgets? (?:is|are) (?:frozen|gone|tight|spent|cut)", r"(?:we|i) budgeted",
        r"(?:can't|cannot) afford",
        r"a lot of money", r"more than (?:i|we|our|my|the)", r"less than that",
        r"(?:double|twice|triple|three times|half)",
        r"cheaper", r"quoted (?:us|me)", r"(?:the )?other (?:vendor|quote|supplier|provider|bid|offer)", r"competitor",
        r"benchmark", r"above (?:my|our|the)", r"below (?:that|you|yours)", r"under yours", r"not there yet",
        r"still (?:too|high|above|over|a lot)", r"percent (?:below|under|cheaper|less)", r"(?:my|our) target",
        r"that number", r"price (?:is|was) (?:going to be )?(?:a|the) problem", r"price or nothing",
        r"the (?:number|price) is", r"(?:pay|paying) (?:that|double|more)", r"what's that worth", r"worth (?:it|that)",
        r"savings", r"money", r"(?:forty|fifty|thirty|sixty|\d+)[- ]?(?:grand|k|thousand)\b.*\bfor\b"),
    "value": _rx(
        r"(?:don't|do not|can't) see (?:the|a|any|why)", r"(?:don't|do not) (?:really )?need", r"no need",
        r"nice[- ]to[- ]have",
        r"not a (?:priority|must)", r"things are fine", r"(?:handle|doing|manage) (?:them|it|that|just) fine",
        r"not sure we (?:need|have)", r"makes you think we need", r"whether we need", r"nobody's asked",
        r"(?:doesn't|does not) (?:move|change|solve|fix)", r"not convinced", r"no problem to fix", r"what's the point",
        r"(?:we're|i'm) fine (?:with|as)", r"good enough", r"works fine", r"don't have a (?:problem|headache)"),
    "status_quo": _rx(
        r"already (?:have|use|using|got|pay|bought|signed|work with)", r"just renewed", r"locked in(?:to)?",
        r"(?:our|a) (?:current )?contract (?:with|until|runs)", r"happy with (?:our|what we|the current|the one)",
        r"under contract", r"(?:we|i) use something", r"not the kind of (?:shop|company|team)", r"we're not a",
        r"(?:we're|we are) (?:much )?(?:smaller|bigger|different)", r"different (?:routes|business|industry|market)",
        r"isn't (?:seven|\w+) percent on us", r"not buying anything", r"not in the market"),
    "risk": _rx(
        r"(?:don't|do not|can't) trust", r"(?:don't|do not) believe", r"why should i (?:believe|trust)",
        r"how do i know",
        r"worr(?:y|ied|ies)", r"concern(?:s|ed)?", r"nervous", r"risk(?:y|s)?", r"burn(?:ed|t)", r"skeptical",
        r"sceptical", r"doubt", r"they all say that", r"every(?:body|one) says", r"heard (?:that|it) before",
        r"what's the catch", r"catch\?", r"glorified", r"nightmare", r"won't use", r"never use", r"unplug",
        r"(?:never|won't|don't) (?:do|use|work|last)", r"they always do", r"hate", r"get bought", r"who pays",
        r"what (?:happens|if) (?:if|when|you)", r"fail(?:s|ed|ure)?", r"(?:didn't|did not|doesn't) work",
        r"took (?:\w+ ){0,2}(?:months|years)", r"ended up", r"look stupid", r"only (?:\w+ ){0,2}years? old",
        r"security", r"compliance", r"data leaving", r"hosted (?:outside|abroad)", r"problem(?:s)? (?:is|with)",
        r"the (?:issue|problem|thing) is", r"slow down", r"a lot of change",
        r"too (?:long|complex|complicated|slow|much work)",
        r"complicated", r"disrupt", r"pushback", r"resist", r"scam", r"(?:won't|doesn't|does not) tell us",
        r"isn't representative", r"not representative", r"not the (?:\w+ )?part", r"hype", r"overpromise",
        r"buzzword", r"ai forecasting", r"not sold"),
    "timing": _rx(
        r"wrong (?:year|time|quarter)", r"not before", r"a year out",
        r"(?:don't|do not) have (?:the )?(?:time|bandwidth|"
        r"capacity|people|resources|headcount)", r"bandwidth", r"no time", r"reorg", r"frozen",
        r"not a good time to buy",
        r"next (?:year|fiscal)", r"too busy to", r"migration"),
    "authority": _rx(
        r"(?:will|would) never (?:approve|sign|agree|go for)", r"won't (?:approve|sign off|go for)",
        r"sell (?:that|this|it) to",
        r"(?:get|getting) (?:\w+ ){1,4}past", r"(?:going to|gonna|will) say no", r"(?:she|he|they)'ll say",
        r"board will", r"never get (?:it|this|that) (?:approved|through)", r"need (?:board|cfo) approval"),
    "terms": _rx(
        rf"we need {_NUM}", r"we (?:pay|need) net", r"net[- ]?\d+ (?:isn't|won't|doesn't|is not)",
        r"too (?:long|short) for (?:us|me)", r"(?:three|two|multi)[- ]years? (?:is|are|locked)", r"locked in at",
        r"(?:notice|term|terms) (?:is|are) too"),
    "counter": _rx(
        rf"make it {_NUM}", r"meet (?:me|us) (?:at|in the middle|halfway)", r"come down",
        r"sharpen (?:your|the) pencil",
        r"do better", r"what else can you do", r"best (?:price|offer)",
        rf"{_NUM}[- a-z]* and (?:it's|we have|we've got|"
        r"you've got|you have) (?:done|a deal|yourself a deal)", r"^close\b", r"^better\b", r"if it were",
        r"(?:i'd|we'd|i would|we would) sign (?:today|now|tomorrow)", r"get (?:it|that|this) (?:under|below|down)",
        r"(?:throw|chuck) in", r"knock (?:off|it down)", r"what are my options", r"lower"),
    "conditional": re.compile(
        r"(?:^|[,.;-] ?)(?:(?:sure|yes|yeah|ok|okay|fine|maybe)[, ]+)?(?:only )?if you(?! (?:want|like|need|insist|"
        r"must|don't mind|wish|prefer))|(?:^|[,.;-] ?)as long as you|(?:^|[,.;-] ?)provided (?:that )?you|"
        r"\bunless you\b|\bnot without\b"),
    "sarcasm": re.compile(
        r"^oh,? (?:great|sure|wonderful|fantastic|perfect|good|joy|brilliant|lovely)|^(?:wonderful|fantastic|brilliant|"
        r"lovely|great|terrific|marvellous|marvelous)[.!]+ (?:more|another|just)|another vendor who|makes coffee|"
        r"\bi bet\b|good one|cool story|^yeah,? right|\bi suppose it\b|pays for itself in|hell freezes|^ha[.!]|"
        r"because i have nothing but|sure you (?:do|are|can|will)|yeah,? yeah|when pigs fly|like i haven't heard"),
    # --- deflection ---
    "deflect": _rx(
        r"let me (?:\w+ )?(?:think|check|see|talk|run|take|float|get back|digest|look|ask|sleep|mull|discuss|loop|"
        r"confirm|circle|review|consult|chat|speak|come back|have a look|take a look|get the|figure|noodle|"
        r"sit on|process|run it)",
        r"(?:i'll|i will|we'll|we will|i need to|i'd need to|we need to|i'd have to|we'd have to|i'll have to|"
        r"we'll have to|i have to|i must|i should) (?:\w+ )?(?:think|check|ask|mention|pass|share|let you know|"
        r"get back|have a look|take a look|look into|look at it|review|see|talk|run|raise|bring|float|consider|"
        r"sleep|discuss|loop|circle|confirm|figure|know it|come back|consult|chat|speak|take (?:it|that|this))",
        r"get back to (?:you|me)", r"come back to (?:you|me)", r"circle back", r"loop back",
        r"follow up (?:later|next)",
        r"send (?:me|us|over)? ?(?:something|an email|a deck|a one-pager|a one pager|some info|information|details|"
        r"the details|materials|a brochure|some stuff|it in writing|a summary|an overview|more info|the info)",
        r"email me", r"(?:shoot|drop|send) me (?:an email|a note|a line|something|a message|a text)",
        r"put (?:it|that|something|this) in (?:an email|a deck|writing|a doc)", r"maybe", r"perhaps", r"possibly",
        r"probably", r"(?:could|might|may) (?:work|be)", r"we'll see", r"depends", r"hard to say", r"can't say",
        r"not sure yet", r"^kind of", r"^sort of", r"somewhat", r"something like that", r"(?:another|some other) time",
        r"later", r"next (?:time|quarter|year|month|week)", r"revisit", r"park (?:that|it|this)",
        r"hold (?:that|the) thought", r"once (?:we|the|i|it|they)", r"after (?:the|we|i|it)", r"no rush",
        r"(?:several|a few|many|lots of|a bunch of) (?:stakeholders|people|folks)", r"know it when i see it",
        r"sleep on it", r"digest", r"mull", r"whatever (?:\w+ )?prefers", r"question for later",
        r"why do you (?:want|need) to know", r"why do you ask", r"why does (?:that|it) matter", r"^anyway",
        r"did you (?:see|catch|watch) the", r"check back", r"call me back", r"reach out (?:later|in|after|again)",
        r"in the (?:fall|spring|summer|winter|new year)", r"after the holidays", r"not my (?:call|decision)",
        r"above my pay grade", r"pass it on", r"will have (?:views|thoughts|questions)", r"let's see",
        r"let's (?:confirm|talk|revisit|discuss|wait|pick|circle|touch base|hold|park|table|get the)",
        r"then we'll", r"take (?:that|it|this) to", r"run (?:it|that|this) (?:by|past)", r"float (?:it|that)",
        r"share it around", r"no promises", r"not promising", r"i'll know", r"not ready to (?:commit|decide|say)",
        r"too early to (?:say|tell|commit)", r"we're (?:still )?(?:reviewing|evaluating|looking)",
        r"(?:i|we) guess", r"could be", r"we might", r"i might", r"it varies", r"hard to tell", r"not sure\.?$",
        r"interesting\.", r"it's a whole thing", r"for another day"),
}

_TAG_Q = re.compile(r"[, ]+(?:okay|ok|alright|all right|right|you know|yeah|got it|understood|capisce|"
                    r"fair|deal|clear|see)\s*\?+\s*$")
_WH = r"(?:what|what's|whats|how|how's|hows|why|who|who's|whos|where|where's|which|when|whose|whom|what're)"
_AUX = (r"(?:do|does|did|is|are|was|were|can|could|will|would|should|have|has|had|may|might|shall|am|isn't|"
        r"aren't|don't|doesn't|didn't|won't|wouldn't|can't|couldn't|haven't|hasn't|any chance)")
_LEAD = re.compile(r"^(?:(?:so|and|but|ok|okay|oh|well|um|uh|hmm|hm|look|listen|sorry|actually|honestly|right|"
                   r"yeah|yes|sure|fine|great|alright|hang on|wait|quick question|one more thing|also|then|"
                   r"just|anyway|first|before i answer|before we go any further|and also|good|thanks|"
                   r"okay so|hey|hi|hello|ah)\b[ ,.:;!…-]*)+")
_WH_Q = re.compile(rf"^{_WH}(?:\s|$)")
_AUX_Q = re.compile(rf"^{_AUX} (?:you|we|i|it|they|there|this|that|he|she|your|the|our|my|anyone|anybody)\b")
_ASK_IMPERATIVE = re.compile(
    r"^(?:(?:can|could|would|will) you (?:please )?(?:tell|explain|walk|repeat|say|clarify|send me the price|"
    r"remind|go over|give me)|tell me|walk me through|explain|remind me|repeat that|say that again|"
    r"i'm (?:\w+ )?wondering|i wonder|i'd (?:like|love) to (?:know|understand|hear)|i want to know|"
    r"help me understand|i'm curious|curious (?:how|what|why|whether|if)|remind me)")
_POSTPONE_Q = re.compile(
    r"^(?:can|could|shall|should) (?:we|i|you) (?:talk|discuss|do this|pick this up|revisit|circle back|"
    r"get back|come back|reconnect|touch base|chat|speak|continue)\b.*\b(?:another|later|some other|next|"
    r"on that|to you|tomorrow|again)\b|^can i get back to you|^(?:can|could) you (?:call|ring|try) (?:me )?"
    r"(?:back|later|again)")
_ECHO_WORDS = re.compile(r"^(?:seriously|really|honestly|come on|for real|you serious|are you serious|"
                         r"you're kidding|you're joking|is that all)$")
_WH_AUX_Q = re.compile(rf"^{_WH}(?:'s| (?:do|does|did|is|are|was|were|would|could|can|will|should|has|have|"
                       r"happens|about|else|exactly|much|many|long))\b")
_NOT_QUESTION = re.compile(r"^(?:why not|how come not|sure,? why not|and\??)$")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_CLAUSE_SPLIT = re.compile(r"(?<=[?])\s+|\s+-\s+|(?<=\.\.\.)\s*|(?<=[.!])\s+(?=[a-z])")
_ADDRESSEE = re.compile(r"\b(?:you|your|we|it|there|they)\b")
_CAN_YOU = re.compile(r"^(?:can|could|would|will) you\b")
_YEAH_NO = re.compile(r"^(?:yeah|ok|okay) no\b")
_NOT_FACTUAL = re.compile(r"\b(?:thanks|thank you|sorry|call|interested|need)\b")
_NO_YEAH = re.compile(r"^no,? yeah\b")
_SARCASTIC_NO = re.compile(r"hell freezes|pigs fly|nothing but free time")
_BACKCHANNEL = re.compile(r"^(?:hm+|mm+|um|uh)\b")
_YES_WORD = re.compile(r"^(?:ok|okay|alright|right|sure|yes|yeah)\b")
_BUT = re.compile(r"\bbut\b")
_YES_THEN_DEFLECT = re.compile(
    r"^(?:sure|yeah|yes|ok|okay)[ ,.!]+(?:sure[ ,.!]+)?(?:send|shoot|email|let me|i'll|maybe)")
_CONTRAST = re.compile(r"\b(?:but|though|however)\b")
_NEGATION = re.compile(r"\b(?:not|never)\b|n't\b")
_FUTURE = re.compile(r"\b(?:i'll|we'll|i will|we will|let me|let's)\b")
_NUMBER = re.compile(r"\d|\b(?:thousand|hundred|grand|percent)\b")
_ALNUM = re.compile(r"[a-z0-9]")
_LETTER = re.compile(r"[a-z]")


def _clean(visible: str) -> str:
    low = normalise(visible)
    low = low.replace("…", "... ").replace("—", " - ").replace("–", " - ")
    low = _NON_ASCII.sub(" ", low)
    return " ".join(low.split())


def _core(sentence: str) -> str:
    s = sentence.strip(" \"'")
    s = _LEAD.sub("", s).strip()
    return s


def _clauses(low: str, parts: list[str]) -> list[str]:
    """The sentences of the line, split further after each '?' and before a dash or ellipsis. Each clause is
    already clean (``_clean(clause) == clause``: a piece of a clean text, stripped of spaces and marks)."""
    out: list[str] = []
    for part in parts:
        for piece in _CLAUSE_SPLIT.split(_clean(part)):
            piece = piece.strip(" ,;:-")
            if piece:
                out.append(piece)
    return out or [low]


def _question(clause: str) -> str | None:
    """Why this clause asks the rep a real question, or None when it does not."""
    marked = clause.rstrip().endswith("?")
    body = _TAG_Q.sub("", clause).strip() if marked else clause
    if marked and body != clause and not body.endswith("?"):
        marked = False  # '…, okay?' is a tag, not a question
    s = _core(body.rstrip("?!. "))
    if not s or _NOT_QUESTION.match(s) or _ECHO_WORDS.match(s):
        return None
    if _POSTPONE_Q.match(s):
        return None
    wh = bool(_WH_Q.match(s)) and not s.startswith(("what i", "how i", "which is", "when we", "when i",
                                                       "where we", "who knows"))
    aux = bool(_AUX_Q.match(s))
    imperative = bool(_ASK_IMPERATIVE.match(s))
    if marked:
        if wh or aux or imperative:
            return "question"
        words = s.split()
        if len(words) <= 4 and not _ADDRESSEE.search(s):
            # 'Forty-eight? Seriously?', 'Free?' echo the rep; 'You?' and 'Ballpark or exact?' ask.
            if s in ("you", "and you", "yourself", "what about you", "how about you") or " or " in s:
                return "question"
            return None
        return "question"
    if imperative:
        return "asks without a question mark"
    if wh and len(s.split()) >= 3 and _WH_AUX_Q.match(s):
        return "asks without a question mark"
    if aux and _CAN_YOU.match(s):
        return "asks without a question mark"
    return None


def _echo(clauses: list[str]) -> bool:
    """'Forty-eight? Seriously?', 'Five percent? Come on.', 'Free?': incredulity at the rep's words."""
    for clause in clauses:
        s = _core(clause.rstrip("?!. "))
        if not s:
            continue
        if clause.endswith("?") and _question(clause) is None and not _TAG_Q.search(clause) \
                and not _NOT_QUESTION.match(s) and not _POSTPONE_Q.match(s) and len(s.split()) <= 4:
            return True
        if _ECHO_WORDS.match(s) and s != "honestly":
            return True
    return False


# --- the rep's line the buyer answers -------------------------------------------------------------
# "Yes, I do." answers "Do you use SAP?" (no label) but accepts "Can we book Thursday?" (agrees); "$1."
# answers "How much would you like to donate?" (agrees) but counters "The price is $48k." (objects). The
# reader therefore also sees what kind of line the rep said just before (CONVENTIONS.md: a label always
# depends on previous_rep_line), read with the rep's own question reader and a few cue lists.

_OFFER_FORM = re.compile(
    r"^(?:can|could|shall|should|may) (?:we|i)\b|^(?:would|will|does|do|is|are) .{0,60}\b(?:work|suit|fit|sound)s?\b"
    r"|^(?:would|will|are|do|were) you (?:\w+ )?(?:be )?(?:like|want|willing|interested|open|up for|ready|able|"
    r"prepared|agree|consider|mind|happy|ok|okay|fine|keen|in)\b|^(?:how|what) about\b|^why (?:don't|not) (?:we|i)\b"
    r"|^let(?:'s| us)\b|^please\b|^(?:i'd|i would|i) (?:suggest|propose|recommend)\b|^shall\b"
    r"|^(?:is|would) (?:it|that) (?:be )?(?:ok|okay|alright|all right|fine)\b|^do we have a deal|^(?:are|can) we "
    r"(?:agreed|good|aligned|on|go)\b|^any chance (?:we|you)\b|^(?:can|could|will|would) you (?:do|commit|sign|"
    r"make|take|give|donate|contribute|spare|help|join|consider|agree|accept|approve|send|meet|hop|jump|come|"
    r"introduce|connect|loop|put me|share)\b|\bgood time\b|\b(?:have|got|spare) (?:a|two|a few|five|ten|\w+) "
    r"(?:minutes?|mins?|moments?|sec|seconds)\b")
"""Forms that propose or ask for something (a meeting, a price, a commitment), not for information."""
_NEXT_STEP = re.compile(
    r"\b(?:book|schedule|set up|meet|meeting|demo|call|chat|pilot|trial|walk ?through|session|workshop|invite|"
    r"calendar|slot|proposal|quote|contract|paperwork|agreement|order form|deal|discount|terms|move forward|"
    r"go ahead|proceed|next step|get started|kick off|monday|tuesday|wednesday|thursday|friday|tomorrow|"
    r"next week|this week|\d ?(?:am|pm)|o'clock|cents?|dollars?|bucks)\b|\$")
_COMMIT = re.compile(
    r"\b(?:donat\w*|contribut\w*|give|giving|pledge|chip in|sign(?:ing)?|buy|purchase|commit\w*|order|subscribe|"
    r"renew|join|how much|what amount|any amount|an amount|part of (?:your|the|it)|some of (?:your|the|it)|"
    r"your (?:payment|bonus|earnings|task payment))\b")
_CHECK = re.compile(
    r"(?:does (?:that|this|it) (?:make sense|sound (?:right|fair|good)|help|answer|address|cover|resonate)|"
    r"(?:is|was) (?:that|this|it) (?:right|correct|fair|accurate|clear)|did i get (?:that|it|this) right|"
    r"am i (?:right|correct|close|on track)|makes? sense|fair (?:enough|to say)|with me so far|sound (?:about )?right|"
    r"(?:,|\s)(?:right|correct|yes|no|yeah)\s*\??$|is that it)")
_REP_AMOUNT = re.compile(r"\$ ?\d|\d ?(?:k|%|percent|dollars?|cents?|bucks)\b|\b\d{1,3}(?:,\d{3})+\b|"
                         r"\b(?:hundred|thousand|grand|dollars?|cents?)\b")
_REQUEST = re.compile(r"^(?:please|let's|let us|how about|what about|i'd (?:suggest|propose|recommend)|"
                      r"i (?:suggest|propose|recommend)|why don't we|just|you (?:can|could|should|might) (?:\w+ )?"
                      r"(?:donate|give|contribute|sign|join|try|book|consider))\b")
_SOFT_NO = re.compile(r"^(?:i'm|we're|i am|we are) (?:all set|good)|don't think so|can't say|not really")
"""Refusal phrases that, after a question for information, answer it ("How are you?" / "I'm good.")."""
_BUYER_AMOUNT = re.compile(r"\$|\d|\b(?:dollars?|cents?|bucks|hundred|thousand|grand|percent|half|all of it)\b")


@dataclass(frozen=True)
class RepContext:
    """What the rep's previous line asked for, as far as it decides what a buyer's yes or no means."""

    present: bool = False
    question: bool = False
    """It asks a question (the last one decides open/closed)."""
    open_question: bool = False
    closed_question: bool = False
    proposal: bool = False
    """A question or request that proposes or asks for something: a meeting, a price, terms."""
    commitment: bool = False
    """A question or request for the commitment itself: donate, sign, buy, how much."""
    check: bool = False
    """A check of understanding or of the rep's summary ("Does that make sense?", "…, right?")."""
    amount: bool = False
    """The rep's line names an amount or a price."""

    @property
    def asks_decision(self) -> bool:
        """A yes or no to this line is a decision (it proposes or asks for a commitment)."""
        return self.proposal or self.commitment

    @property
    def information(self) -> bool:
        """A question for information: a yes or no to it answers, it decides nothing ("Do you use SAP?")."""
        return self.question and not (self.proposal or self.commitment or self.check)

    @property
    def statement(self) -> bool:
        """Neither a question nor a request (a pitch, a price, a story)."""
        return self.present and not (self.question or self.proposal or self.commitment)


@functools.lru_cache(maxsize=4096)
def read_context(previous_rep_line: str) -> RepContext:
    """Read the rep's line a buyer line answers. Pure, rules only (no embedding), and remembered per text:
    grading asks about the same rep line for each check that needs it."""
    if not previous_rep_line or not previous_rep_line.strip():
        return RepContext()
    from simulator.understanding.questions import read_questions

    visible = visible_text(previous_rep_line[-MAX_ANALYSED_CHARS:])
    low = _clean(visible)
    if not _ALNUM.search(low):
        return RepContext()
    parts = sentences(visible)
    questions = read_questions(parts)
    asked = [_core(_clean(q.sentence)).rstrip("?!. ") for q in questions]
    requests = [c for s in parts if _REQUEST.match(c := _core(_clean(s)))]
    decisive = asked + requests
    last = questions[-1] if questions else None
    proposal = any(_OFFER_FORM.search(s) or (_NEXT_STEP.search(s) and not _COMMIT.search(s)) for s in decisive)
    commitment = any(_COMMIT.search(s) for s in decisive)
    check = bool(asked) and bool(_CHECK.search(asked[-1] + ("?" if last else "")))
    return RepContext(
        present=True, question=last is not None, open_question=last is not None and last.kind == "open",
        closed_question=last is not None and last.kind == "closed", proposal=proposal, commitment=commitment,
        check=check, amount=bool(_REP_AMOUNT.search(low)))


CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    "ctx_present", "ctx_question", "ctx_open_question", "ctx_closed_question", "ctx_proposal", "ctx_commitment",
    "ctx_check", "ctx_amount", "ctx_information", "ctx_statement",
    "x_yes_information", "x_yes_decision", "x_yes_check", "x_ack_statement", "x_no_information", "x_no_decision",
    "x_amount_commitment", "x_amount_rep_amount", "x_accept_decision", "x_short_information",
    "x_rule_agrees_information", "x_rule_agrees_statement", "x_rule_refuses_information", "x_rule_refuses_decision",
)
"""The rep's previous line (ctx_*) and how the buyer's line meets it (x_*: a buyer cue AND a kind of rep line;
the learned models are linear, so the pairs that flip a reading are given as features)."""

BUYER_FEATURE_NAMES: tuple[str, ...] = (
    "rule_agrees", "rule_refuses", "rule_objects", "rule_asks", "rule_deflects",
    *(f"cue_{name}" for name in CUES),
    "echo", "questions", "question_mark", "log_words", "has_but", "has_not", "short", "exclamation",
    "first_person_future", "number",
    *CONTEXT_FEATURE_NAMES,
)


@dataclass
class BuyerReading:
    """The acts of one buyer line, with reasons."""

    text: str
    labels: dict[str, bool]
    reasons: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    features: np.ndarray | None = None


@dataclass
class _RuleReading:
    labels: dict[str, bool]
    reasons: dict[str, str]
    features: list[float]
    vetoes: dict[str, str] = field(default_factory=dict)
    """Labels the learned model may not add, and why (CONVENTIONS.md, whatever the model reads): a bare
    'okay' or 'sure' leading an objection to the proposal ('okay, but that's way over budget') is no yes; a
    yes or no without an acceptance or refusal phrase answers a question for information ("Do you use
    Salesforce?" / "Sure.") and neither agrees nor refuses."""


def _hit(name: str, text: str) -> str | None:
    m = CUES[name].search(text)
    return m.group(0) if m else None


def _rules(low: str, parts: list[str], context: RepContext | None = None) -> _RuleReading:
    ctx = context or RepContext()
    clauses = _clauses(low, parts)
    text = " ".join(clauses)
    hits = {name: _hit(name, text) for name in CUES}
    # Cues matched against the start of each clause too ("Not Wednesday.", "Nope, not without a trial").
    for name in ("yes_start", "no_start", "factual_no", "bare_ack", "sarcasm"):
        if hits[name] is None:
            hits[name] = next((m.group(0) for c in clauses if (m := CUES[name].search(c))), None)
    questions = [(c, why) for c in clauses if (why := _question(c))]
    echo = _echo(clauses)
    words = len(words_of(low))
    objections = [n for n in ("price", "value", "status_quo", "risk", "timing", "authority", "terms", "counter")
                  if hits[n]]
    sarcastic = bool(hits["sarcasm"])
    conditional = bool(hits["conditional"])

    # Refusal: an explicit no or a refusal phrase; a short 'No, we don't.' answers a factual question.
    no_start = CUES["no_start"].match(clauses[0]) is not None or bool(_YEAH_NO.match(text))
    factual = bool(CUES["factual_no"].match(clauses[0])) and not hits["refuse"] and not objections \
        and not ctx.asks_decision \
        and not _NOT_FACTUAL.search(text)
    no_yeah = bool(_NO_YEAH.match(text))
    refuses = (bool(hits["refuse"]) or (no_start and not factual)) and not no_yeah
    refuses = refuses or (sarcastic and bool(_SARCASTIC_NO.search(text)))

    objects = bool(objections) or echo or (sarcastic and not refuses) or conditional
    if refuses and not objections and not echo and not conditional:
        objects = False
    asks = bool(questions)
    deflects = bool(hits["deflect"])
    # 'maybe' inside a counter-offer ('If you can do something on price…, maybe we talk') stays an objection.
    if deflects and objects and not refuses and hits["deflect"] in ("maybe", "perhaps") \
            and (conditional or hits["counter"]):
        deflects = False

    accept = hits["accept"] or (hits["yes_start"] if not hits["bare_ack"] or words <= 3 else None)
    if hits["bare_ack"] and _BACKCHANNEL.match(text):
        accept = None  # 'Hm. Okay.' is a backchannel
    agrees = bool(accept) and not refuses and not sarcastic and not conditional and not no_start
    vetoes: dict[str, str] = {}
    if agrees and objects and not hits["accept"] and _YES_WORD.match(text):
        agrees = False  # 'okay, but that's way over budget': the objection is about the proposal
        vetoes["agrees"] = "a yes-word leading an objection to the proposal"
    if agrees and deflects and not _BUT.search(text) and hits["deflect"] not in ("send me something",):
        agrees = bool(hits["accept"]) and not _YES_THEN_DEFLECT.match(text)

    # After a question for information, a bare yes or no answers it and decides nothing ("Do you use SAP?" /
    # "Yeah, we do."; "Have you heard of the charity?" / "No."): only an acceptance or refusal phrase decides.
    answered = None
    if ctx.information and not hits["accept"]:
        vetoes["agrees"] = "a yes to the rep's question for information answers it"
        if agrees:
            agrees, answered = False, f"answers the rep's question ({accept!r}), decides nothing"
    if ctx.information and not sarcastic and (not hits["refuse"] or _SOFT_NO.search(hits["refuse"])):
        # "I'm good." answers "How are you?"; "No, not really." answers "Do you donate often?".
        vetoes["refuses"] = "a no to the rep's question for information answers it"
        if refuses:
            refuses, answered = False, f"answers the rep's question ({clauses[0][:30]!r}), refuses nothing"

    labels = {"agrees": agrees, "refuses": refuses, "objects": objects, "asks": asks, "deflects": deflects}
    reasons: dict[str, str] = {}
    if answered:
        reasons["answers"] = answered
    if agrees:
        reasons["agrees"] = f"agrees ({accept!r})"
    if refuses:
        reasons["refuses"] = f"refuses ({hits['refuse'] or clauses[0][:30]!r})"
    if objects:
        why = (hits[objections[0]] if objections else "echoes the rep's words in disbelief" if echo
               else "sarcasm" if sarcastic else "a condition")
        reasons["objects"] = f"objects ({why!r})"
    if asks:
        reasons["asks"] = f"asks: {questions[0][0][:60]!r}"
    if deflects:
        reasons["deflects"] = f"deflects ({hits['deflect']!r})"
    features = [float(labels[n]) for n in BUYER_LABELS] + [float(bool(hits[n])) for n in CUES] + [
        float(echo), min(len(questions), 3) / 3.0, float("?" in low), math.log1p(words) / 5.0,
        float(bool(_CONTRAST.search(text))),
        float(bool(_NEGATION.search(text))), float(words <= 3), float("!" in low),
        float(bool(_FUTURE.search(text))),
        float(bool(_NUMBER.search(text))),
    ]
    yes, no = bool(hits["yes_start"] or hits["bare_ack"]), no_start
    amount = bool(_BUYER_AMOUNT.search(text))
    features += [float(v) for v in (
        ctx.present, ctx.question, ctx.open_question, ctx.closed_question, ctx.proposal, ctx.commitment, ctx.check,
        ctx.amount, ctx.information, ctx.statement,
        yes and ctx.information, yes and ctx.asks_decision, yes and ctx.check, bool(hits["bare_ack"]) and ctx.statement,
        no and ctx.information, no and ctx.asks_decision, amount and ctx.commitment,
        amount and ctx.amount and not ctx.commitment, bool(hits["accept"]) and ctx.asks_decision,
        words <= 3 and ctx.information, agrees and ctx.information, agrees and ctx.statement,
        refuses and ctx.information, refuses and ctx.asks_decision)]
    return _RuleReading(labels, reasons, features, vetoes)


def _no_words(text: str, visible: str, keep_features: bool) -> BuyerReading:
    size = EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS
    return BuyerReading(text, dict.fromkeys(BUYER_LABELS, False), ["no words: nothing to read"],
                        features=np.zeros(size) if keep_features else None)


def _models(use_models: bool | None) -> classifier.LabelModels | None:
    from simulator.understanding.reader import models_enabled

    if not (models_enabled() if use_models is None else use_models):
        return None
    models = classifier.shipped("buyer")
    if models is None or len(models.feature_names) != EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES) + BUCKETS \
            or models.feature_names[EMBEDDING_DIMENSIONS:EMBEDDING_DIMENSIONS + len(BUYER_FEATURE_NAMES)] \
            != BUYER_FEATURE_NAMES:
        return None  # a model file from another feature layout: the rules stand
    return models


def buyer_features(low: str, rule_features: list[float]) -> np.ndarray:
    """[sentence embedding, rule cues, hashed n-grams]: what the learned buyer models see."""
    from simulator.understanding.embedding import shared_embedder

    return np.concatenate([shared_embedder().embed(low), np.array(rule_features), ngram_features(low)])


def read_buyer(text: str, use_models: bool | None = None, keep_features: bool = False,
               previous_rep_line: str = "") -> BuyerReading:
    """Label one buyer line, as a reply to ``previous_rep_line`` (the rep's line just before it; "" when
    unknown: the line is then read on its own). Pure and deterministic."""
    visible = visible_text(text[:MAX_ANALYSED_CHARS])
    if not visible.strip() or not has_letters(visible):
        return _no_words(text, visible, keep_features)
    low = _clean(visible)
    if not _LETTER.search(low):
        return _no_words(text, visible, keep_features)
    rules = _rules(low, sentences(visible), read_context(previous_rep_line))
    labels, rule_reasons = dict(rules.labels), dict(rules.reasons)
    models = _models(use_models)
    x = buyer_features(low, rules.features) if (models is not None or keep_features) else None
    probabilities: dict[str, float] = {}
    if models is not None and x is not None:
        for name in BUYER_LABELS:
            model = models.binary.get(name)
            if model is None:
                continue
            p = model.probability(x)
            probabilities[name] = round(p, 3)
            if (p >= model.threshold) != labels[name]:
                rule_reasons[name] = (f"{name}: the learned model reads it (p={p:.2f})" if p >= model.threshold
                                      else f"not {name}: overruled by the learned model (p={p:.2f})")
            labels[name] = p >= model.threshold
            if name in rules.vetoes and labels[name]:
                labels[name] = False
                rule_reasons[name] = f"not {name}: {rules.vetoes[name]} (p={p:.2f})"
    reasons = [rule_reasons[n] for n in BUYER_LABELS
               if n in rule_reasons and (labels[n] or rule_reasons[n].startswith("not "))]
    if "answers" in rule_reasons and not (labels["agrees"] or labels["refuses"]):
        reasons.append(rule_reasons["answers"])
    return BuyerReading(visible, labels, reasons, probabilities, x)


def embedded_text(text: str) -> str | None:
    """The text :func:`read_buyer` embeds for a line (None when it embeds nothing), so a caller with many
    lines can embed them all in a few batched runs first (``Embedder.embed_many``: same vectors)."""
    visible = visible_text(text[:MAX_ANALYSED_CHARS])
    if not visible.strip() or not has_letters(visible) or _models(None) is None:
        return None
    low = _clean(visible)
    return low if _LETTER.search(low) else None
