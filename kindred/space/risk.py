"""Risk-language screening: a maintained phrase list and a pure matcher.

``screen(text)`` returns the risk phrases found in a piece of writing, each with its
category (suicidal ideation, self-harm, harm to others, abuse). It is used for group
space posts now and is meant for journal entries shared with a facilitator and check-in
notes later: it knows nothing about where the text came from.

How it decides (CLINICAL.md "Safety"; issue 8):

- **Phrases**, written below as small regular expressions over normalised text
  (lower case, straight apostrophes, one space between words). Each phrase matches on
  word boundaries, so "skill myself" or "overdosed" in a word does not stray. Simple
  morphology is written into the phrases: ``kill(?:ing|ed|s)?``, ``die|dying|dead``.
- **Negation**: a negator in the same clause shortly before the phrase ("I'm not
  suicidal", "I would never hurt myself", "I don't want to die") turns the match off,
  and so does "not anymore" / "no longer" shortly after it. A phrase that carries its
  own negation ("I don't want to be alive", "no reason to live") is positive: the
  negator is part of the phrase and only words *before* the phrase are looked at.
- **Quoted speech**: a phrase entirely inside quotation marks is someone else's words
  (a song title, what a character said) unless the writer introduces the quote as their
  own ("I told her "I want to die"").

When unsure it alerts: a facilitator reading a post that did not need an alert costs
less than missing one. The labelled cases in ``tests/risk_cases.tsv`` measure it;
``tests/test_risk.py`` holds the precision and recall floors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class RiskCategory(StrEnum):
    SUICIDAL_IDEATION = "suicidal_ideation"
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    ABUSE = "abuse"


CATEGORY_LABELS: dict[RiskCategory, str] = {
    RiskCategory.SUICIDAL_IDEATION: "suicidal ideation",
    RiskCategory.SELF_HARM: "self-harm",
    RiskCategory.HARM_TO_OTHERS: "harm to others",
    RiskCategory.ABUSE: "abuse",
}


@dataclass(frozen=True)
class RiskMatch:
    category: RiskCategory
    #: The phrase pattern's short name (stable: safe to store or log; never the words).
    phrase: str
    start: int
    end: int


# --- the phrase list --------------------------------------------------------------------
# Macros used in the patterns (expanded before compiling):
#   {self}    myself / my self / me (for "kill me" style phrases use explicitly)
#   {want}    want / wanna / wish / feel like / am going / gonna / plan / planning / ...
#   {kill}    kill with its forms
#   {i}       i / i'm / im / i've ...
MACROS = {
    "self": r"(?:myself|my\s?self)",
    "want": (
        r"(?:want(?:ed|ing|s)?\s(?:to\s)?|wanna\s|wish(?:ed|ing)?\s(?:i\scould\s)?"
        r"|feel(?:ing)?\slike\s|going\sto\s|gonna\s|plan(?:ned|ning|s)?\s(?:to\s|on\s)?"
        r"|think(?:ing)?\sabout\s|thought\sabout\s|(?:am|was)\sready\sto\s|tempted\sto\s"
        r"|urge\sto\s|urges\sto\s)"
    ),
    "kill": r"(?:kill(?:ing|ed|s)?)",
    "partner": (
        r"(?:husband|wife|partner|boyfriend|girlfriend|ex|dad|father|mom|mum|mother"
        r"|stepdad|stepfather|stepmom|uncle|brother|sister|boss|neighbou?r|son|daughter"
        r"|kids?|baby|roommate|coworker|co-worker|teacher)"
    ),
    "them": r"(?:him|her|them|someone|somebody|people|everyone|everybody|that\sguy)",
    "abuser": (
        r"(?:he|she|they|my\s(?:husband|wife|partner|boyfriend|girlfriend|ex|dad|father|mom"
        r"|mum|mother|stepdad|stepfather|stepmom|uncle|brother|sister|boss))"
    ),
}

SI, SH, HO, AB = (
    RiskCategory.SUICIDAL_IDEATION,
    RiskCategory.SELF_HARM,
    RiskCategory.HARM_TO_OTHERS,
    RiskCategory.ABUSE,
)

#: (short name, category, pattern). Keep each phrase narrow: a broad one ("kill",
#: "die") would alert on "this traffic is killing me" and "I'm dying to see you".
PHRASES: tuple[tuple[str, RiskCategory, str], ...] = (
    # Suicidal ideation
    ("kill_self", SI, r"{kill}\s{self}"),
    (
        "end_life",
        SI,
        (
            r"(?:end(?:ing|ed|s)?|take|taking|took)\s(?:my\s(?:own\s)?life|it\sall)"
            r"|end(?:ing)?\sit\s(?:tonight|today|now|soon|for\sgood|once\sand\sfor\sall)"
        ),
    ),
    ("want_die", SI, r"{want}(?:die|be\sdead|not\sexist|disappear\sforever|not\swake\sup)"),
    (
        "wish_dead",
        SI,
        (
            r"wish(?:ed|ing)?\s(?:i\s(?:was|were|had)|to\sbe)\s(?:dead|(?:never\s)+(?:been\s)?born)"
            r"|(?:would|i'd)\s(?:rather|sooner)\sbe\sdead"
            r"|(?:hope|pray|praying|hoping)\s(?:that\s)?(?:i\s)?(?:don't|dont|never|won't)\swake\sup"
        ),
    ),
    (
        "better_off_dead",
        SI,
        (
            r"better\soff\s(?:dead|without\sme|if\si\s(?:was|were|wasn't|weren't)\s(?:dead|gone|here))"
            r"|world\swithout\sme|(?:nobody|no\sone|noone)\s(?:would|will)\s(?:miss|notice|care)"
            r"(?:\sme)?\sif\si\s(?:died|was\sgone|were\sgone|disappeared|killed)"
        ),
    ),
    ("suicidal", SI, r"suicidal"),
    (
        "suicide_self",
        SI,
        (
            r"(?:{want}(?:commit\s)?suicide|(?:attempt(?:ed|ing)?|tried|try)\s(?:to\s)?"
            r"(?:commit\s)?suicide|suicide\s(?:plan|note|attempt)|thoughts?\sof\ssuicide"
            r"|considering\ssuicide)"
        ),
    ),
    (
        "no_will_to_live",
        SI,
        (
            r"(?:(?:don't|dont|do\snot|no\slonger)\s(?:want|wanna)\s(?:to\s)?"
            r"(?:live|be\salive|be\shere|exist|wake\sup|go\son)"
            r"|(?:no|nothing\sto|no\sreason\sto)\s(?:reason\sto\s)?live(?:\sfor)?\b"
            r"|no\spoint\s(?:in\s)?(?:living|being\salive|going\son)"
            r"|can't\s(?:go\son|do\sthis)\sanymore|cannot\sgo\son|can't\skeep\sliving"
            r"|tired\sof\s(?:living|being\salive)|not\sbe\shere\sanymore"
            r"|(?:don't|dont)\ssee\sa\sfuture)"
        ),
    ),
    (
        "method",
        SI,
        (
            r"(?:hang(?:ing)?\s{self}|jump(?:ing)?\soff\s(?:a|the|this)\s(?:bridge|roof|building)"
            r"|(?:stockpil|sav|hoard)(?:e|ed|ing)\s(?:up\s)?(?:my\s)?pills"
            r"|(?:wrote|write|writing)\s(?:a|my)\s(?:goodbye|suicide)\s(?:note|letter)"
            r"|say(?:ing)?\sgoodbye\sto\severyone|overdos(?:e|ed|ing)"
            r"|took\s(?:too\smany|all\s(?:my|the))\s(?:pills|tablets))"
        ),
    ),
    # Self-harm
    (
        "harm_self",
        SH,
        (
            r"(?:cut(?:s|ting)?|hurt(?:s|ing)?|harm(?:s|ed|ing)?|burn(?:s|ed|t|ing)?"
            r"|hit(?:s|ting)?|punish(?:ed|ing)?|scratch(?:ed|ing)?|starv(?:e|ed|ing))\s{self}"
            r"|(?:bang|banging|banged|hit|hitting)\smy\shead\s(?:against|on)"
        ),
    ),
    ("self_harm", SH, r"self[\s-]?(?:harm(?:ing|ed)?|injur(?:y|e|ed|ing)|mutilat\w*)"),
    (
        "cutting",
        SH,
        (
            r"(?:started|start|urge\sto|urges\sto|relapsed?\s(?:on|into)|went\sback\sto"
            r"|been|was|am|i'm)\scutting(?:\sagain)?|cutting\sagain|cut\sagain"
            r"|(?:razor|blade)s?\s(?:on|to)\smy\s(?:arm|wrist|leg|skin)s?"
        ),
    ),
    # Harm to others
    (
        "harm_other",
        HO,
        (
            r"(?:{want}|could\s(?:really\s)?|might\s)(?:{kill}|hurt(?:ing)?|stab(?:bing)?"
            r"|shoot(?:ing)?|strangl(?:e|ing)|beat(?:ing)?\sup|attack(?:ing)?|poison(?:ing)?)\s"
            r"(?:{them}|my\s{partner}|the\s{partner})"
        ),
    ),
    (
        "weapon",
        HO,
        (
            r"(?:bought|buy|buying|get|getting|got)\sa\s(?:gun|knife)\sto"
            r"|make\s(?:him|her|them)\spay\s(?:for\sit\s)?with\s(?:their|his|her)\slife"
        ),
    ),
    (
        "threat_other",
        HO,
        (
            r"(?:i'll|i\swill|i'm\sgoing\sto|i'm\sgonna)\s(?:{kill}|hurt|stab|shoot)\s"
            r"(?:{them}|my\s{partner}|the\s{partner})"
        ),
    ),
    # Abuse (being harmed by someone)
    (
        "abused",
        AB,
        (
            r"{abuser}\s(?:hits?|hit|beats?|beat|choked?|chokes|strangled?|kicked?|kicks"
            r"|slapped|slaps|punched|punches|raped|rapes|shoved|pushed|burned|threatens?"
            r"|threatened)\s(?:me|my\s(?:kids?|children|son|daughter))"
        ),
    ),
    (
        "abuse_words",
        AB,
        (
            r"(?:(?:sexually|physically|emotionally)\sabus\w*|(?:being|been|was|am)\sabused"
            r"|abusing\sme|abuses\sme|(?:raped|molested)\sme|touched\sme\swithout"
            r"|domestic\s(?:violence|abuse))"
        ),
    ),
    (
        "unsafe_home",
        AB,
        (
            r"(?:(?:not|don't\sfeel)\ssafe\s(?:at|in\smy)\shome"
            r"|(?:afraid|scared|terrified)\s(?:to\sgo|of\sgoing)\shome"
            r"|(?:afraid|scared|terrified)\sof\s(?:him|her|my\s{partner})"
            r"|won't\slet\sme\s(?:leave|see\s(?:my\s)?friends)"
            r"|threatened\sto\s(?:{kill}|hurt)\sme)"
        ),
    ),
)

#: Words right after a phrase that make it everyday speech ("I cut myself a slice of
#: cake", "I burnt myself cooking"), per phrase.
BENIGN_AFTER: dict[str, re.Pattern[str]] = {
    "harm_self": re.compile(
        r"\s(?:a\s(?:slice|piece|break)|some\s|cooking|baking|shaving|while\s(?:cooking|shaving)"
        r"|on\s(?:the|a)\s(?:stove|oven|pan|iron|kettle)|by\saccident|accidentally)"
    ),
}

NEGATORS = re.compile(
    r"\b(?:not|never|no|nobody|don't|dont|do\snot|didn't|didnt|doesn't|won't|wont|wouldn't"
    r"|wouldnt|isn't|aren't|wasn't|haven't|havent|hasn't|can't\simagine|cant\simagine"
    r"|no\slonger|stopped|quit|without)\b"
)
#: Words after a phrase that say it is over ("I wanted to die, but not anymore").
AFTER_NEGATORS = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:but\s)?(?:not\sanymore|no\slonger|anymore\?)")
#: Where a clause starts: the negator must be in the same clause as the phrase.
CLAUSE_BREAK = re.compile(r"[.!?;:\n]|\bbut\b|\bthough\b|\bexcept\b|,\s(?:and|so)\b")
NEGATION_WINDOW = 5  # words before the phrase
QUOTES = {'"': '"', "“": "”", "«": "»"}
OWN_QUOTE = re.compile(
    r"\bi\s(?:said|say|told|tell|wrote|write|texted|text|typed|screamed|thought|think"
    r"|keep\sthinking|kept\sthinking|keep\ssaying|kept\ssaying)\b[^.!?]*$"
)


def _expand(pattern: str) -> str:
    for name, value in MACROS.items():
        pattern = pattern.replace("{" + name + "}", value)
    return pattern


@cache
def _compiled() -> tuple[tuple[str, RiskCategory, re.Pattern[str]], ...]:
    return tuple(
        (name, category, re.compile(r"(?<![\w'])(?:" + _expand(pattern) + r")(?![\w'])"))
        for name, category, pattern in PHRASES
    )


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, quotes kept, runs of spaces as one space. The
    result has the same length as ``text`` (so match offsets point into the original)."""
    table = str.maketrans({"’": "'", "‘": "'", "`": "'", "\t": " ", "\r": " "})
    lowered = text.translate(table).lower()
    if len(lowered) != len(text):  # a few characters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text.translate(table))
    return lowered


def _squash(text: str) -> tuple[str, list[int]]:
    """Collapse runs of spaces (and the odd "-" between words is kept); return the new
    text and, per character, its offset in the input."""
    out: list[str] = []
    where: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        if char == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        out.append(char)
        where.append(index)
    return "".join(out), where


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside matching quotation marks (straight or typographic)."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        closing = QUOTES.get(char)
        if closing is not None:
            end = text.find(closing, index + 1)
            if end != -1 and end - index < 400:
                spans.append((index, end))
                index = end + 1
                continue
        index += 1
    return spans


def _negated(text: str, start: int, end: int) -> bool:
    before = text[:start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    words = clause.split()
    window = " ".join(words[-NEGATION_WINDOW:])
    if NEGATORS.search(window):
        return True
    return bool(AFTER_NEGATORS.match(text[end : end + 40]))


def _quoted_by_someone_else(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    for open_at, close_at in spans:
        if open_at < start and end <= close_at:
            lead_in = text[max(0, open_at - 60) : open_at]
            return not OWN_QUOTE.search(lead_in)
    return False


def screen(text: str) -> list[RiskMatch]:
    """The risk phrases in ``text`` that are neither negated nor someone else's quoted
    words, in order of appearance (overlapping matches of one category are kept once)."""
    if not text or not text.strip():
        return []
    squashed, where = _squash(normalise(text))
    spans = _quoted_spans(squashed)
    found: list[RiskMatch] = []
    for name, category, pattern in _compiled():
        for match in pattern.finditer(squashed):
            start, end = match.span()
            if _negated(squashed, start, end):
                continue
            if _quoted_by_someone_else(squashed, start, end, spans):
                continue
            benign = BENIGN_AFTER.get(name)
            if benign is not None and benign.match(squashed, end):
                continue
            found.append(RiskMatch(category, name, where[start], where[end - 1] + 1))
    found.sort(key=lambda m: (m.start, m.end))
    kept: list[RiskMatch] = []
    for candidate in found:
        if any(
            k.category == candidate.category and k.start < candidate.end and candidate.start < k.end
            for k in kept
        ):
            continue
        kept.append(candidate)
    return kept


def categories(text: str) -> list[str]:
    """The distinct categories found in ``text``, in a fixed order (for storing)."""
    present = {m.category for m in screen(text)}
    return [c.value for c in RiskCategory if c in present]
