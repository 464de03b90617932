"""Word lists behind the deterministic message analysis. Data, not logic: edit here, not in code.

Keywords match the start of a word ("decid" matches "decide", "decision"), and phrases with spaces
match as a whole inside the normalised message. A short keyword matches longer words too ("plan"
would match "plants"; "quarter" would make "last quarter" a timeline question): spell those out as
phrases.
"""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "budget": ("budget", "spend", "cost", "afford", "money", "funding", "fund", "price", "pricing",
               "invest", "financ", "capex", "opex", "allocat"),
    "timeline": ("timeline", "timing", "when do you", "deadline", "by when", "how soon", "schedule",
                 "go-live", "go live", "launch", "this quarter", "next quarter", "which quarter",
                 "what quarter", "end of the quarter", "quarter-end", "quarter end", "urgency", "urgent",
                 "when would", "when will",
                 "get started", "start date", "fiscal year", "contract come up", "renewal date"),
    "decision_process": ("decid", "decision", "approv", "sign off", "sign-off", "who else", "involved",
                         "stakeholder", "committee", "process", "procurement", "board", "buy-in"),
    "current_solution": ("current", "today", "currently", "existing", "right now", "at the moment",
                         "using now", "status quo", "in place", "workaround", "spreadsheet", "manual",
                         "how do you handle", "how are you handling"),
    "pain": ("challeng", "problem", "pain", "struggl", "frustrat", "difficult", "issue", "hard",
             "keeps you up", "headache", "bottleneck", "not working", "broken", "worr"),
    "impact": ("impact", "cost you", "costing", "consequen", "affect", "lose", "losing", "lost",
               "revenue", "churn", "what happens if", "what does that mean", "result", "effect", "mean for",
               "means for", "meant for", "meaning for", "what that means", "mean to the business",
               "what happens when",
               "for the business", "knock-on", "knock on effect", "downstream"),
    "goals": ("goal", "objective", "priorit", "success look", "achiev", "trying to", "aim",
              "initiative", "the plan", "a plan", "your plan", "plan for", "plans", "planning", "strategy",
              "vision", "ideal"),
    "team": ("team", "staff", "people", "users", "employees", "headcount", "hire", "who uses",
             "reps", "nurses", "drivers", "operators", "analysts"),
    "competition": ("competitor", "alternative", "other vendor", "other option", "evaluat", "vendors",
                    "other provider", "other tools", "other messaging", "other solution",
                    "looking at", "comparing", "considered", "shortlist", "rfp"),
    "metrics": ("metric", "kpi", "measure", "number", "how many", "how much", "percent", "rate",
                "volume", "track", "target", "how close did", "how close were", "how far off", "accuracy",
                "accurate"),
    "technical": ("integrat", "system", "tech", "stack", "erp", "crm", "api", "it team", "infrastructure",
                  "data", "security", "migrat", "software", "tool"),
    "risk": ("risk", "concern", "worry", "hesitat", "reserv", "what could go wrong", "fail",
             "past experience", "burned", "tried before", "went wrong", "gone wrong", "go wrong"),
    "compliance": ("complian", "regulat", "audit", "hipaa", "gdpr", "sox", "legal", "policy",
                   "certif"),
}

OPEN_STARTERS: tuple[str, ...] = (
    "what", "how", "why", "who", "where", "which", "when", "tell me", "walk me through",
    "talk me through", "describe", "explain", "help me understand", "share", "take me through",
    "paint a picture", "in what way", "to what extent",
)
"""A question that starts like this cannot be answered with yes or no."""

POLITE_OPEN_PREFIXES: tuple[str, ...] = (
    "can you", "could you", "would you", "will you", "would you mind", "can we", "could we",
    "do you mind",
)
"""'Could you walk me through...' is open when followed by an open verb; else closed."""

OPEN_VERBS: tuple[str, ...] = (
    "tell", "walk", "talk", "describe", "explain", "share", "help me understand", "take me",
    "paint", "elaborate", "expand", "say more", "give me an example", "give me a sense",
)

CLOSED_STARTERS: tuple[str, ...] = (
    "do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should",
    "have", "has", "had", "may", "might", "shall", "am", "isn't", "aren't", "don't", "doesn't",
    "didn't", "won't", "wouldn't", "can't", "couldn't", "haven't", "hasn't", "any chance",
)

LEAD_INS: tuple[str, ...] = (
    "so", "and", "ok", "okay", "great", "thanks", "thank you", "well", "right", "now", "also",
    "just curious", "out of curiosity", "i'm curious", "i am curious", "i wonder", "then",
    "got it", "understood", "perfect", "sure", "alright", "all right", "and so", "but", "um", "uh",
    "if i may", "quick question", "one more thing",
)

PITCH_PHRASES: tuple[str, ...] = (
    "our platform", "our solution", "our product", "our software", "our tool", "we offer",
    "we provide", "we help", "we've helped", "we have helped", "best-in-class", "best in class",
    "industry-leading", "industry leading", "cutting-edge", "cutting edge", "state of the art",
    "let me tell you", "let me show you", "our features", "feature", "award-winning", "world-class",
    "our customers", "we're the", "we are the", "market leader", "game changer", "game-changer",
    "seamless", "robust", "one-stop", "all-in-one", "revolutionary",
)

ACKNOWLEDGE_PHRASES: tuple[str, ...] = (
    "i understand", "i hear you", "i get it", "i get that", "that makes sense", "makes sense",
    "fair point", "fair enough", "good point", "great point", "that's fair", "that is fair",
    "i appreciate", "totally understand", "completely understand", "that's a valid",
    "that is a valid", "valid concern", "understandable", "i can see why", "i see why",
    "you're right", "you are right", "fair concern", "fair question", "good question",
    "valid point", "i can understand", "i completely get", "that's reasonable", "reasonable concern", "i hear that",
    "thanks for being", "thank you for being", "appreciate you sharing", "i respect",
)

EXPLORE_PHRASES: tuple[str, ...] = (
    "what's behind", "what is behind", "help me understand", "tell me more", "say more",
    "what would need to", "what would it take", "compared to what", "what makes you",
    "when you say", "what specifically", "what exactly", "can you share more", "what concerns",
    "what's driving", "what is driving", "where does that come from", "what happened",
    "what's your biggest concern", "what worries you", "what would make", "is it the",
)

PARAPHRASE_PHRASES: tuple[str, ...] = (
    "it sounds like", "sounds like", "what i'm hearing", "what i am hearing", "so you're saying",
    "so you are saying", "if i understand", "if i heard you", "you mentioned", "you said",
    "to make sure i understand", "let me make sure", "in other words", "so what you're",
    "so for you", "if i'm hearing", "to recap", "to summarise", "to summarize",
)

GREETING_PHRASES: tuple[str, ...] = (
    "hi", "hello", "hey", "good morning", "good afternoon", "good evening", "how are you",
    "how's your", "how is your", "nice to meet", "great to meet", "thanks for taking",
    "thank you for taking", "thanks for making", "thank you for making", "appreciate your time",
    "how have you been",
)

THANKS_PHRASES: tuple[str, ...] = (
    "thank you", "thanks", "appreciate it", "bye", "goodbye", "talk soon", "have a great",
    "have a good", "take care", "speak soon", "cheers",
)

CONCESSION_WORDS: tuple[str, ...] = (
    "discount", "reduce the price", "reduce it to", "lower the price", "lower price", "price cut",
    "cut the price", "drop the price", "drop to", "come down", "waive", "free",
    "throw in", "include", "no charge", "at no cost", "complimentary", "extra month", "bonus",
    "meet you", "knock off", "take off", "off the list", "price break", "rebate", "credit",
)

TRADE_PHRASES: tuple[str, ...] = (
    "if you", "in return", "in exchange", "provided that", "provided you", "as long as",
    "on the condition", "on condition", "would you be willing to", "would you commit",
    "can you commit", "could you commit", "if we can get", "if i can get", "in return for",
    "subject to", "contingent on", "assuming you", "so long as",
)

NEXT_STEP_WORDS: tuple[str, ...] = (
    "next step", "follow-up", "follow up", "meeting", "meet", "call", "demo", "session",
    "workshop", "pilot", "trial", "book", "schedule", "calendar", "catch up", "reconvene",
    "walkthrough", "walk-through", "sit down", "get together", "invite",
)

PROPOSAL_PHRASES: tuple[str, ...] = (
    "can we", "could we", "shall we", "should we", "let's", "let us", "how about", "what about",
    "would you be open", "are you open", "are you free", "are you available", "would it make sense",
    "does it make sense", "i'd like to book", "i'd like to schedule", "i'll send", "i will send",
    "send you an invite", "send an invite", "put something in", "set up", "book", "schedule",
    "pencil in", "lock in", "would a", "would it help", "be useful", "open to", "interested in",
    "would that work", "does that work", "would work for you", "works for you",
)
"""With a next-step word, these make a message a proposal for a next step."""

WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)
MONTHS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
)
RELATIVE_DAYS: tuple[str, ...] = ("tomorrow", "next week", "this week", "later this week", "end of the week")

FILLER_WORDS: tuple[str, ...] = (
    "um", "uh", "erm", "er", "uhm", "you know", "i mean", "sort of", "kind of", "basically",
    "literally", "actually", "honestly",
)

SELLER_VOICE_PHRASES: tuple[str, ...] = (
    "our product", "our platform", "our solution", "our software", "we offer", "we provide",
    "i'd like to show you", "let me show you", "let me tell you about", "our pricing",
    "as a sales", "i'm calling from", "i am calling from", "thanks for your interest",
)
"""In a buyer's line, these mean the model started speaking as the seller."""

ASSISTANT_VOICE_PHRASES: tuple[str, ...] = (
    "as an ai", "as a language model", "i'm an ai", "i am an ai", "assistant", "how can i help",
    "how can i assist", "i'm here to help", "i am here to help", "feel free to ask",
    "happy to help", "director", "gist", "instruction", "in character", "role-play", "roleplay",
    "as the buyer", "buyer:", "rep:", "seller:", "[", "{",
)
"""In a buyer's line, these mean the model left the role or spoke its instructions aloud."""

PERSONAL_CUES: tuple[str, ...] = (
    r"\bweekend", r"\b(?:the|last night's|yesterday's|big) (?:game|match)\b", r"\bweather\b",
    r"\b(?:outside|out of|away from|after) work\b", r"\bnot at work\b", r"\bfree time\b", r"\bhobb(?:y|ies)\b",
    r"\bvacation\b", r"\bholidays?\b", r"\btime off\b", r"\b(?:your|the) summer\b",
    r"\bhow long have you (?:been|worked|had|run|led)\b", r"\bbefore you (?:joined|started|took)\b",
    r"\bbefore joining\b", r"\bhow did you (?:get into|end up|come to)\b", r"\byour (?:background|career)\b",
    r"\bhow(?:'s| is| was) your (?:day|morning|week|weekend|summer)\b(?![- ]to)", r"\bthe week (?:treating|been)\b",
    r"\bconference\b(?! call)", r"\bsaastr\b", r"\btrade show\b", r"\bthe news\b", r"\bin the news\b",
    r"\bwhere are you (?:based|from)\b", r"\bgrow up\b", r"\bgrew up\b", r"\byour family\b", r"\byour kids\b",
    r"\bin (?:this|the|your) role\b",
    r"\bhow are (?:you|things)(?: (?:doing|today|this morning|this afternoon|this week))?(?: today)?\s*\?",
    r"\bhow(?:'s| is) it going\b", r"\bhow have you been\b",
    r"\b(?:worked|been) (?:there|here|with (?:him|her|them|\w+ \w+)|in (?:the|this|your) (?:role|job))"
    r" (?:long|a while)\b",
    r"\bgood weekend\b",
)
"""Regexes (on the normalised question) of small talk and questions about the buyer as a person: the
weekend, the game, the weather, how long in the role. With the question read as ``personal`` by meaning
(simulator/content/topic_cues.yaml), or with no business topic found, the question is small talk: it
probes no hidden fact, explores no objection and earns no open-question trust (docs/buyer-rules.md)."""

OPINION_CUES: tuple[str, ...] = (
    r"\bhow (?:do|would) you feel about\b", r"\bwhat(?:'s| is| would be) your (?:take|view|opinion|feeling|gut|read)\b",
    r"\byour (?:thoughts|views?|take) on\b", r"\bwhat are your thoughts\b", r"\bwhat do you (?:make|think) of\b",
    r"\bwhat do you think about\b", r"\bhow do you see\b",
    r"^(?:so |and |but |ok |okay )?(?:would|could|will|might) (?:a|an|the|that|this|it|some|more|something|having"
    r"|[a-z]+ing)\b[^?]{0,80}?\b(?:help|be (?:useful|helpful|worth|of use|valuable|easier)"
    r"|make (?:this|it|that|things|life) (?:easier|simpler|work)|work for you|appeal|interest you|ease)\b",
    r"\b(?:does|do|would) (?:that|this|it|[a-z]+ [a-z]+(?: [a-z]+)?) sound (?:useful|helpful|good|interesting"
    r"|right|fair|reasonable|worth|like)\b",
    r"\bis (?:that|this|it) (?:useful|helpful|appealing|worth it|worthwhile)\b", r"\bworth it\b", r"\bworthwhile\b",
    r"\bbeen worth\b", r"\bany appetite\b", r"\bwould you be up for\b", r"\bhow would that land\b",
    r"\bdoes (?:that|this) (?:help|appeal)\b",
)
"""Regexes (on the normalised question) of asking the buyer's opinion, besides the understanding layer's
``OPINION_ASK`` phrases: 'Would a longer payment term help?', 'Does a phased rollout sound useful?', 'How
do you feel about…', 'What's your take on…'. Wording only: the buyer gives an opinion (too early, or
maybe with trust), never a yes."""

ECHO_BANNED: tuple[str, ...] = (
    "you", "you're", "i", "i'm", "me", "we", "we're", "us", "our", "my", "mine", "agree", "agreed", "agreement",
    "deal", "discount", "price", "pricing", "contract", "sign", "signed", "commit", "committed", "approve",
    "approved", "confirm", "confirmed", "promise", "promised", "prompt", "instruction", "instructions", "system",
    "secret", "secrets", "rules", "role", "assistant", "ai", "chatgpt", "model", "json", "yaml", "print", "ignore",
    "password", "key", "budget", "cost", "costs", "free", "offer", "offers", "number", "numbers", "terms",
    "payment", "payments", "quote", "final",
)
"""Words that keep a piece of the rep's question from being said back by the buyer ('The proposal? I
couldn't say.'): the rep's voice, agreements and money, the buyer's instructions."""

NEXT_STEP_ASK: tuple[str, ...] = (
    r"\bnext steps?\b", r"\bwhere (?:do|should|can) we go from here\b", r"\bfrom here\b", r"\bmove (?:this )?forward\b",
    r"\bmeet again\b", r"\bfollow[- ]up\b", r"\bget (?:on|into) (?:his|her|your) (?:calendar|diary)\b",
    r"\bwhat (?:would|do) you need (?:to see|from me)\b", r"\bwhat happens next\b", r"\bhow should we proceed\b",
    r"\bput me through\b", r"\bconnect me\b", r"\bis (?:he|she) (?:available|free|around)\b",
    r"\b(?:speak|talk) (?:to|with) (?:him|her|mr\.? \w+|ms\.? \w+|your (?:boss|ceo|cfo|coo|cno|ciso))\b",
)
"""Regexes (on the normalised question) of asking what the next step is ('What should the next step be?'),
not proposing one: the buyer says whether it is ready for one (wording only; booking needs a proposal
with a time, docs/buyer-rules.md)."""
