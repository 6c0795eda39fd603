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
- **Recovery**: "since I last", "clean from", "in recovery from" just before a phrase
  ("six months since I last cut myself") turns it off; a fresh urge in recovery talk
  ("I haven't cut in a year but tonight I really want to") is a phrase of its own.
- **A negator that governs something else**: when a new subject follows the negator
  ("no one knows I've been cutting", "I'm not sure I can keep going") the phrase counts.
- **Topics**: a phrase right after "a documentary/article/novel … about" is what the
  writer read or watched, not their own words.
- **Everyday endings**: per phrase, words right after it that make it an idiom ("killed
  myself laughing", "beat him at chess", "cut myself a slice").

When unsure it alerts: a facilitator reading a post that did not need an alert costs
less than missing one.

``categories(text)`` adds a second opinion when the phrase list finds nothing: an offline
sentence-embedding model compares the text with the labelled cases
(``risk_embedding.py``) and may name the category of the nearest risk case. The setting
``KINDRED_RISK_EMBEDDINGS`` ("off") turns it off; if the model cannot load, the phrase list
works alone (``list_categories``). The labelled cases in ``tests/risk_cases*.tsv`` measure it
(``python -m kindred.space.risk_report``); ``tests/test_risk.py`` holds the floors.
docs/risk-screening.md says how to maintain the list and what it misses.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

logger = logging.getLogger(__name__)


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
# Macros used in the patterns (expanded before compiling). Texting spellings (no
# apostrophe, "abt", "w/o") are written into the macros once, not into every phrase.
MACROS = {
    "self": r"(?:myself|my\s?self|meself)",
    "im": r"(?:i'm|im|i\sam)",
    "ive": r"(?:i've|ive|i\shave)",
    "ill": (
        r"(?:i'll|i\swill|i'm\sgoing\sto|im\sgoing\sto|i'm\sgonna|im\sgonna|i\sam\sgoing\sto"
        r"|i'd|id\b|ima|imma)"
    ),
    "dont": r"(?:don't|dont|do\snot)",
    "cant": r"(?:can't|cant|cannot|can\snot)",
    "wont": r"(?:won't|wont|will\snot)",
    "about": r"(?:about|abt|bout|of)",
    "want": (
        r"(?:want(?:ed|ing|s)?\s(?:to\s)?|wanna\s|wish(?:ed|ing)?\s(?:i\scould\s)?"
        r"|feel(?:ing)?\slike\s|going\sto\s|gonna\s|plan(?:ned|ning|s)?\s(?:to\s|on\s)?"
        r"|think(?:ing)?\s(?:about|abt|of)\s|thought\s(?:about|of)\s|thoughts\s(?:about|of)\s"
        r"|(?:am|was|i'm|im)\sready\sto\s|tempted\sto\s|fantasi[sz](?:e|ed|ing)\sabout\s"
        r"|urges?\sto\s|need\sto\s|about\sto\s)"
    ),
    # "could" and "might" only for harming others: "I could just die" is an idiom.
    "could": (
        r"(?:could\s(?:really\s|just\s)?|might\s"
        r"|(?:scared|afraid|worried)\si(?:'ll|\swill|\smight)\s(?:snap\sand\s)?)"
    ),
    "kill": r"(?:kill?(?:ing|ed|s)?|murder(?:ing|ed|s)?)",
    "pills": r"(?:pills|tablets|meds|medication|medicine|painkillers|sleeping\spills)",
    "partner": (
        r"(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|ex|ex-husband|ex-wife|dad|father"
        r"|mom|mum|mother|stepdad|stepfather|stepmom|stepmother|uncle|aunt|cousin|brother"
        r"|sister|boss|manager|landlord|neighbou?r|son|daughter|kids?|children|baby|roommate"
        r"|flatmate|coworker|co-worker|teacher|friend|in-laws?|\w+-in-law)(?:'s)?"
    ),
    "them": (
        r"(?:him|her|them|someone|somebody|anyone|anybody|people|everyone|everybody"
        r"|that\s(?:guy|man|woman|girl|boy)|th(?:e|ose)\s(?:people|guys?|man|woman|kids|boys"
        r"|girls)(?:\swho|\sthat|\sat\s\w+)?)"
    ),
    "abuser": (
        r"(?:he|she|they|my\s(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|ex|dad|father"
        r"|mom|mum|mother|parents|stepdad|stepfather|stepmom|stepmother|uncle|aunt|brother"
        r"|sister|grandfather|grandpa|grandmother|grandma|cousin|boss|carer|caregiver))"
    ),
    "hitverb": (
        r"(?:hits?|hit|hitting|beats?|beat|beating|chok(?:e|es|ed|ing)|strangl(?:e|es|ed|ing)"
        r"|kick(?:s|ed|ing)?|slap(?:s|ped|ping)?|punch(?:es|ed|ing)?|rap(?:e|es|ed)|shov(?:e|es|ed)"
        r"|push(?:es|ed)|burn(?:s|ed|t)|bit|bites|grab(?:s|bed)|drag(?:s|ged)|pinn?(?:s|ed)"
        r"|threaten(?:s|ed)?|molest(?:s|ed)|assault(?:s|ed)|throws?\s\w+\sat"
        r"|threw\s\w+\sat|hurts?|spat\son|spits\son)"
    ),
    "body": (
        r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|forearms?|ankles?|chest|face|hands?"
        r"|head|knuckles)"
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
    ("kill_self", SI, r"{kill}\s{self}|kms|k\*ll\s{self}|(?:unalive|off|end|delete)\s{self}"),
    (
        "end_life",
        SI,
        (
            r"(?:end(?:ing|ed|s)?|take|taking|took)\s(?:my\s(?:own\s)?life|it\sall)"
            r"|end(?:ing|ed)?\s(?:it|things)(?!\s(?:with|between|there|here|off|at|by|early"
            r"|on\sa|for\s(?:him|her|them|now|today)|up)\b)(?![\w'])"
            r"|check(?:ing)?\sout\s(?:for\sgood|permanently|of\s(?:life|this\sworld))"
        ),
    ),
    (
        "want_die",
        SI,
        (
            r"{want}(?:die|be\sdead|not\sexist|disappear\sforever|not\swake\sup|never\swake\sup"
            r"|sleep\sforever|go\sto\ssleep\sforever|stop\sexisting|not\sbe\s(?:here|alive))"
            r"|(?:think|thinking|thought|thoughts)\s{about}\s(?:dying|death|being\sdead|my\sdeath"
            r"|not\sbeing\s(?:here|alive)|jumping|hanging|ending\s(?:it|things|my\slife)"
            r"|suicide|my\sfuneral|my\sown\sfuneral)"
            r"|ready\sto\sdie|(?:want|wish|need)\s(?:it|this|everything|it\sall|all\sof\sthis"
            r"|all\sthis)\sto\s(?:be\sover|end|stop)(?:\sforever|\sfor\sgood|\spermanently)?"
            r"|(?:{dont}|{cant})\sdeserve\sto\s(?:live|be\salive|exist|be\shere)"
        ),
    ),
    (
        "wish_dead",
        SI,
        (
            r"wish(?:ed|ing)?\s(?:i\s(?:was|were|had)|to\sbe)\s(?:dead|(?:never\s)+(?:been\s)?born)"
            r"|(?:would|i'd|id)\s(?:rather|sooner)\sbe\sdead"
            r"|(?:hope|pray|praying|hoping|wish)\s(?:that\s)?(?:i\s)?(?:just\s)?(?:{dont}|never|{wont})"
            r"\swake\sup"
            r"|(?:go|going|went)\sto\ssleep\s(?:and|&)\s(?:never|not)\swake\sup"
            r"|(?:fall|falling)\sasleep\s(?:and|&)\s(?:never|not)\swake\sup"
            r"|not\swak(?:e|ing)\sup(?!\s(?:early|at|before|until|till|in\stime|on\stime|for|when"
            r"|to|in\sthe)\b)(?![\w'])"
        ),
    ),
    (
        "better_off_dead",
        SI,
        (
            r"(?:better|happier)\soff\s(?:dead|without\sme|w/o\sme|w/out\sme"
            r"|if\si\s(?:just\s)?(?:was|were|wasn't|weren't)\s(?:dead|gone|here|around))"
            r"|(?:happier|better|easier)\swithout\sme(?:\saround|\shere)?\b"
            r"|world\swithout\sme|(?:nobody|no\sone|noone)\s(?:would|will|'d)\s(?:even\s)?"
            r"(?:miss|notice|care)(?:\sme)?\sif\si\s(?:died|was\sgone|were\sgone|disappeared|killed"
            r"|wasn't\shere|was\sdead)"
            r"|{im}\s(?:such\s|just\s)?a\s(?:burden|waste\sof\s(?:space|oxygen|air))"
            r"|(?:feel\slike|i'm\sjust)\sa\sburden|burden\sto\s(?:everyone|my\s\w+|them)"
        ),
    ),
    ("suicidal", SI, r"suicidal|suicdal|sucidal|suicidle|suisidal"),
    (
        "suicide_self",
        SI,
        (
            r"(?:{want}(?:commit\s)?suicide|(?:attempt(?:ed|ing)?|tried|try)\s(?:to\s)?"
            r"(?:commit\s)?suicide|(?:my|another)\ssuicide\s(?:plan|note|attempt)"
            r"|(?:made|make|have|had|wrote|write|writing)\sa\ssuicide\s(?:plan|note)|thoughts?\sof\ssuicide"
            r"|considering\ssuicide|suicide\s(?:seems|is|feels)\s(?:like\s)?(?:the|my)\s(?:only|best)"
            r"|only\sway\sout|no\sway\sout\s(?:except|but|other\sthan)\s(?:dying|death|suicide)"
            r"|ctb|sewerslide)"
        ),
    ),
    (
        "no_will_to_live",
        SI,
        (
            r"(?:(?:{dont}|no\slonger)\s(?:want|wanna)\s(?:to\s)?"
            r"(?:live|be\salive|be\shere|exist|wake\sup|go\son)"
            r"|(?:no|nothing\sto|no\sreason\sto)\s(?:reason\sto\s)?live(?:\sfor)?\b"
            r"|(?:no|what's\sthe|whats\sthe|what\sis\sthe|don't\ssee\sthe|dont\ssee\sthe)\spoint"
            r"\s(?:in\s|of\s)?(?:living|being\salive|going\son|life|carrying\son|anything\sanymore)"
            r"|{cant}\s(?:go\son|do\sthis|keep\sgoing|carry\son|keep\sliving|take\s(?:it|this)"
            r"|live\slike\sthis)(?:\sanymore|\sany\smore|\sany\slonger|\sanylonger"
            r"|\slike\sthis|\smuch\slonger)"
            r"|{cant}\s(?:go\son|keep\sgoing|carry\son)(?=\s*(?:[.!?,;]|$))"
            r"|(?:{dont}|not\ssure)\s(?:think\s|know\sif\s)?i\scan\s(?:keep\sgoing|go\son|carry\son"
            r"|do\sthis|keep\sliving)"
            r"|(?:{dont}\sknow|not\ssure)\s(?:if|whether)\si\s(?:still\s)?(?:want|wanna)\s(?:to\s)?"
            r"(?:live|be\salive|be\shere|go\son|keep\sgoing)"
            r"|tired\sof\s(?:living|being\salive|life|existing)|not\sbe\shere\sanymore"
            r"|(?:{dont})\ssee\sa\sfuture"
            r"|(?:life|living)\s(?:is|isn't|isnt|is\snot|ain't)\s(?:not\s)?worth\s(?:it|living)"
            r"|not\sworth\sliving|done\swith\s(?:life|living|being\salive|it\sall)"
            r"|(?:{wont}|not\s(?:going\sto|gonna))\sbe\s(?:around|here)\s(?:much\slonger|for\slong"
            r"|anymore|any\smore|tomorrow|next\sweek)"
            r"|in\scase\s{im}\s(?:not\s(?:around|here)|gone))"
        ),
    ),
    (
        "method",
        SI,
        (
            r"(?:hang(?:ing)?\s{self}|noose"
            r"|(?:jump(?:ing|ed)?|step(?:ping)?|throw(?:ing)?\s{self}|walk(?:ing)?)\s(?:off|from"
            r"|in\sfront\sof)\s(?:a|the|this|that)\s(?:bridge|roof|building|train|bus|truck|lorry"
            r"|car|cliff|balcony|ledge|tower|car\spark|parking\sgarage)"
            r"|(?:driv(?:e|ing)|crash(?:ing)?|steer(?:ing)?)\s(?:my\scar\s|the\scar\s)?(?:into|off)"
            r"\s(?:a|the)\s(?:tree|wall|bridge|river|lake|cliff|traffic|truck|lorry)"
            r"|(?:stockpil|sav|hoard|collect)(?:e|ed|ing)\s(?:up\s)?(?:my\s)?(?:\w+\s)?{pills}"
            r"|(?:stash|stockpile|hoard|collection|supply)\sof\s(?:\w+\s)?{pills}"
            r"|(?:take|taking|took|swallow(?:ed|ing)?)\s(?:all|every\sone\sof|the\swhole\sbottle\sof"
            r"|a\sbottle\sof|a\shandful\sof|too\smany)\s(?:of\s)?(?:my\s|the\s)?(?:\w+\s)?{pills}"
            r"|how\smany\s(?:of\smy\s)?(?:\w+\s)?{pills}\s(?:it\swould|it'd|would|to|i'd|i\swould)"
            r"|{pills}\s(?:are\s)?(?:lined\sup|counted\sout|ready)"
            r"|(?:wrote|write|writing|written)\s(?:a|my)\s(?:goodbye|suicide)\s(?:note|letter)s?"
            r"|goodbye\s(?:note|letter)s?|whoever\sfinds\sme|by\sthe\stime\syou\sread\sthis"
            r"|this\sis\s(?:my\s)?goodbye|goodbye\sforever|(?:this\swill\sbe|this\sis)\smy\slast"
            r"\s(?:post|message)"
            r"|say(?:ing)?\sgoodbye\sto\severyone|overdos(?:e|ed|ing)|\bod\b\s(?:on|tonight)"
            r"|took\s(?:too\smany|all\s(?:my|the))\s{pills}"
            r"|giv(?:e|ing|en)\saway\s(?:all\s)?(?:of\s)?my\s(?:things|stuff|belongings|possessions)"
            r"|{wont}\sneed\s(?:it|them|this|that|these|my\s\w+)\s(?:anymore|any\smore"
            r"|where\si'm\sgoing|after))"
        ),
    ),
    # Self-harm
    (
        "harm_self",
        SH,
        (
            r"(?:cut(?:s|ting)?|hurt(?:s|ing)?|harm(?:s|ed|ing)?|burn(?:s|ed|t|ing)?"
            r"|hit(?:s|ting)?|punish(?:ed|ing)?|scratch(?:ed|ing)?|starv(?:e|ed|ing)"
            r"|punch(?:ed|ing)?|slap(?:ped|ping)?|bit|bite|biting|stab(?:bed|bing)?"
            r"|bruis(?:e|ed|ing)|choke|choked|choking)\s{self}"
            r"|(?:bang|banging|banged)\smy\shead\s(?:against|on)"
            r"|(?:hit|hitting)\smy\shead\s(?:against|on)\s(?:the\s)?(?:wall|floor)s?"
        ),
    ),
    (
        "self_harm",
        SH,
        r"self[\s-]?(?:harm(?:ing|ed|s)?|injur(?:y|e|ed|ing)|mutilat\w*)|\bsh\b\sagain",
    ),
    (
        "cutting",
        SH,
        (
            r"(?:started|start|urge\sto|urges\sto|relapsed?\s(?:on|into)|went\sback\sto"
            r"|been|was|am|i'm|im)\s(?:cutting|cuting|cuttin|cutin)(?:\sagain)?"
            r"(?!\s(?:down|back|out|sugar|carbs|ties|costs|corners|class|school|hair|my\shair|the"
            r"|a|an|some|it|up|off|in|through|across|coupons|paper|wood|fabric|onions)\b)"
            r"|(?:cutting|cuting|cuttin|cutin|cut)\sagain"
            r"|(?:razor|blade)s?\s(?:on|to)\smy\s{body}"
            r"|(?:took|take|taking|used|use|using)\sa\s(?:razor|blade|knife|lighter)\s(?:on|to)\smy"
            r"|cut(?:s|ting)?\smy\s(?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|forearms?)"
            r"(?!\s(?:on|by|while|chopping|shaving|open\son)\b)"
            r"|(?:urges?|wants?|want(?:ed)?|itch|need)\s(?:to\s)?(?:cut|burn|self-harm|hurt\s{self})"
            r"(?:\s(?:so|really|again|tonight|right\snow|badly|bad)|\s*[.!?,;]|\s*$)"
            r"|urges?\sto\s(?:cut|burn|self-harm|hurt\s{self})(?!\s(?:down|back|out|my\shair|the|a"
            r"|some|costs|ties|off|it|in|corners|loose|class|school)\b)(?![\w'])"
            r"|(?:fresh|new)\s(?:cuts|scars|burns|wounds)\son\smy"
            r"|(?:cuts|burns|scars)\s(?:are|were|look)\s(?:still\s)?(?:fresh|new|deep)"
            r"|(?:fresh|new)\s(?:cuts|burns)|relapsed\s(?:on|into|with)\s(?:self|cutting|sh\b)"
            r"|(?:almost|nearly)\s(?:cut|relapsed|hurt\s{self})"
        ),
    ),
    (
        "on_purpose",
        SH,
        (
            r"(?:cut|hurt|burn(?:ed|t)?|hit|scratch(?:ed)?|slammed|punched|bit|picking|picked"
            r"|pick|dug|bruised|hurting|burning|hitting|scratching)\s(?:\S+\s){0,7}?"
            r"(?:on\spurpose|deliberately|intentionally)"
            r"|(?:until|till|til|'til)\s(?:it|they|i|my\s\w+)\s(?:bled|bleeds?|bleeding|bruised?"
            r"|bruises|blister(?:s|ed)?)"
        ),
    ),
    (
        "resisted_urge",
        SH,
        (
            r"(?:haven't|havent|didn't|didnt|have\snot|did\snot|not)\s(?:cut|self-harmed|self\sharmed"
            r"|hurt\s{self}|burned\s{self}|burnt\s{self})[,\s]+(?:[\w']+[,\s]+){0,5}?(?:but|though|although)"
            r"\s(?:\w+\s){0,3}?i\s(?:really\s|still\s)?(?:want|wanted|need|needed)\sto"
            r"(?:\s(?:cut|so\sbad(?:ly)?|again|tonight|badly))?(?=\s*(?:[.!?,;]|$))"
        ),
    ),
    # Harm to others
    (
        "harm_other",
        HO,
        (
            r"(?:{want}|{could}|{ill}\s)(?:{kill}|hurt(?:ing)?|stab(?:bing)?|shoot(?:ing)?|strangl(?:e|ing)"
            r"|chok(?:e|ing)|beat(?:ing)?|punch(?:ing)?|attack(?:ing)?|poison(?:ing)?|drown(?:ing)?)\s"
            r"(?:{them}|my\s{partner}|the\s{partner}|his|her|their)"
            r"(?:\s(?:food|drink|coffee|tea)|\s(?:up|to\sdeath|over|down|off|senseless))?"
            r"|(?:{want}|{ill}\s)(?:shov(?:e|ing)|push(?:ing)?|throw(?:ing)?)\s(?:{them}|my\s{partner})"
            r"\s(?:down|off|into|under|in\sfront)"
            r"|(?:{want}|{ill}\s)run(?:ning)?\s(?:{them}|my\s{partner})\s(?:over|down)\b"
        ),
    ),
    (
        "weapon",
        HO,
        (
            r"(?:bought|buy|buying|get|getting|got|have|brought|bring|bringing|carry|carrying)\s"
            r"(?:a|my|the)\s(?:gun|knife|weapon|bat)\s(?:to|into|for|in\scase)"
            r"|(?:i\shave|i've\sgot|ive\sgot|i\sgot|i've|got)\s(?:a|my\s\w+'s|my)\s(?:gun|rifle|pistol)"
            r"|use\sit\son\s(?:him|her|them|someone|my\s{partner})|(?:know|decided)\swho\si'd\suse\sit\son"
            r"|make\s(?:him|her|them)\spay\s(?:for\sit\s)?with\s(?:their|his|her)\slife"
            r"|(?:{want}|{ill}\s)make\s(?:him|her|them|them\sall|everyone)\s(?:all\s)?pay"
            r"|(?:{want}|{ill}\s)(?:burn|set\sfire\sto)\s(?:his|her|their|my\s{partner})\s(?:house|car|flat"
            r"|apartment|place)"
        ),
    ),
    (
        "threat_other",
        HO,
        (
            r"(?:i'll|ill|i\swill|i'm\sgoing\sto|i'm\sgonna|im\sgoing\sto|im\sgonna|i\sswear)\s"
            r"(?:{kill}|hurt|stab|shoot|strangle|beat)\s"
            r"(?:{them}|my\s{partner}|the\s{partner})"
            r"|(?:thoughts?|images?|ideas?)\s(?:about|of)\s(?:hurting|killing|stabbing|harming"
            r"|poisoning|strangling|drowning)\s(?:{them}|my\s{partner})"
        ),
    ),
    # Abuse (being harmed by someone)
    (
        "abused",
        AB,
        (
            r"{abuser}\s(?:\w+\s)?{hitverb}\s(?:me|my\s(?:kids?|children|son|daughter|mom|mum))"
            r"|{abuser}\s(?:\w+\s)?(?:forces?|forced|made|makes)\sme\s(?:to\s)?(?:have\ssex|do\sthings"
            r"|do\sstuff|watch)"
            r"|(?:was|were|got|get|getting|being|been|am|i'm)\s(?:hit|beaten|slapped|punched"
            r"|kicked|choked|strangled|raped|hurt|attacked|assaulted)"
            r"(?!\s(?:by\s(?:a|the|an)\s(?:car|ball|bus|bike|truck|wave|door|branch)"
            r"|with\s(?:a|the)\s(?:ball|pillow)|in\s(?:the|a)\s(?:game|match|accident)"
            r"|on\sthe\s(?:head|knee|leg|arm)\sby\sa)\b)"
            r"(?:\s(?:again|at\shome|by\s(?:him|her|my\s\w+)|every|when|if)|\s*[.!?,;]|\s*$)"
        ),
    ),
    (
        "abuse_words",
        AB,
        (
            r"(?:(?:sexually|physically|emotionally)\sabus\w*|(?:being|been|was|am)\sabused"
            r"|abus(?:ing|es|ed)\sme|abused\sby|(?:raped|molested|assaulted)\sme|touched\sme\swithout"
            r"|domestic\s(?:violence|abuse)|{abuser}\s(?:gets|is|was|can\sbe|has\sbeen|got|becomes)"
            r"\s(?:so\s|really\s|very\s)?(?:violent|abusive)"
            r"|touch(?:es|ed|ing)\sme\s(?:and\si\s(?:don't|dont)|when|without|where|inappropriately"
            r"|at\snight)"
            r"|(?:held|holding|grabbed|grabs|squeezed)\s(?:me\sby\s)?my\s(?:throat|neck)"
            r"|by\sthe\s(?:throat|neck)"
            r"|bruises?\s(?:from|where)\s(?:he|she|they|him|her|my\s\w+)"
            r"|(?:he|she|they)\s(?:said|says)\s(?:he|she|they)(?:'d|\swould|'ll|\swill)\s(?:kill|hurt)\sme"
            r"|threaten(?:s|ed|ing)?\s(?:me|to\s(?:hurt|kill|hit|beat|take)\s(?:me|the\skids|my\s\w+"
            r"|them))|keeps?\sthreatening)"
        ),
    ),
    (
        "unsafe_home",
        AB,
        (
            r"(?:(?:not|don't\sfeel|dont\sfeel)\ssafe\s(?:at|in\smy(?:\sown)?)\s(?:home|house)"
            r"|(?:afraid|scared|terrified)\s(?:to\sgo|of\sgoing)\shome"
            r"|(?:afraid|scared|terrified)\sof\s(?:him|her|my\s{partner})"
            r"|(?:afraid|scared|terrified)\sof\swhat\s(?:he|she|they)(?:'ll|\swill|'d|\swould|\smight)"
            r"|(?:won't|wont|doesn't|doesnt|don't|dont)\slet\sme\s(?:leave|go\sout|go\sanywhere|see"
            r"|have\s(?:a|my|any)|eat|sleep|talk\sto|work|use|out)"
            r"|not\sallowed\sto\s(?:leave|go\sout|see|eat|have\s(?:a|my|any)|talk\sto)"
            r"|(?:checks|tracks|reads|goes\sthrough)\smy\s(?:phone|location|messages)"
            r"|takes?\s(?:all\s)?(?:of\s)?my\s(?:money|pay|wages|bank\scard|phone)"
            r"|controls\s(?:everything|my\s(?:money|life)|what\si|who\si)"
            r"|locks?\sme\s(?:in|out)|locked\sme\s(?:in|out)"
            r"|(?:threw|throws|pushed|pushes|shoved|shoves|knocked|knocks)\sme\s(?:down|against|into"
            r"|across|to\sthe\sfloor|on\sthe\sfloor)"
            r"|threatened\sto\s(?:{kill}|hurt)\sme)"
        ),
    ),
)

#: Words right after a phrase that make it everyday speech ("I cut myself a slice of
#: cake", "I burnt myself cooking", "I nearly killed myself laughing"), per phrase.
BENIGN_AFTER: dict[str, re.Pattern[str]] = {
    "harm_self": re.compile(
        r"\s(?:a\s(?:slice|piece|break)|some\s|cooking|baking|shaving|while\s(?:cooking|shaving)"
        r"|on\s(?:the|a)\s(?:stove|oven|pan|iron|kettle)|by\saccident|accidentally|up\sover)"
    ),
    "kill_self": re.compile(
        r"\s(?:laughing|with\slaughter|trying\sto|to\sget|working|studying|at\sthe\sgym"
        r"|for\s(?:this|that|a|the|nothing)|over\s(?:this|that|it))"
    ),
    "harm_other": re.compile(
        r"\s(?:level|fight|battle|boss\slevel)\b"
        r"|\s(?:at|in)\s(?:chess|cards|tennis|golf|pool|scrabble|monopoly|checkers|fifa|mario"
        r"|a\s(?:game|race|match)|the\s(?:game|race|match)|\w+\s(?:game|match|race))|\sout\b"
    ),
}
BENIGN_AFTER["threat_other"] = BENIGN_AFTER["harm_other"]

NEGATORS = re.compile(
    r"\b(?:not|never|no|nobody|don't|dont|do\snot|didn't|didnt|doesn't|doesnt|won't|wont"
    r"|wouldn't|wouldnt|isn't|isnt|aren't|arent|wasn't|wasnt|haven't|havent|hasn't|hasnt"
    r"|can't\simagine|cant\simagine|no\slonger|stopped|quit|without|used\sto)\b"
)
#: A recovery marker shortly before a phrase says the behaviour is over: "six months
#: since I last cut myself", "a year clean from self-harm", "in recovery from cutting".
RECOVERY_BEFORE = re.compile(
    r"(?:\bsince\s(?:i\s|my\s)?(?:last\s)?(?:\w+\s)?|\b(?:clean|free)\s(?:from|of)\s"
    r"|\brecover(?:y|ed|ing)\sfrom\s|\bin\srecovery\sfrom\s)$"
)
#: After a negator, a new subject ("nobody knows I've been cutting", "I'm not sure I
#: can go on") starts a clause of its own: the negator is about knowing or being sure,
#: not about the phrase, so the phrase still counts.
NEW_SUBJECT = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|id|i'll)\b")
#: Words after a phrase that say it is over ("I wanted to die, but not anymore").
AFTER_NEGATORS = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:but\s)?(?:not\sanymore|no\slonger|anymore\?)"
    r"|^\s(?:never|no\slonger|doesn't|doesnt|does\snot)\s(?:cross(?:es|ed)?|enter(?:s|ed)?)\smy\smind"
    r"|^\s(?:is|was)\s(?:not|never|no\slonger)\san\soption|^\sisn't\san\soption"
)
#: A topic word just before a phrase makes it the subject of something read or watched
#: ("a scene about self-harm", "a novel about domestic violence"), not the writer's own.
TOPIC_BEFORE = re.compile(
    r"\b(?:documentary|film|movie|show|series|scene|article|book|novel|podcast|episode|talk"
    r"|class|course|training|leaflet|poster|charity|campaign|news|story|stories|report"
    r"|research|lecture|video|workshop)\s(?:\w+\s){0,2}?(?:about|on|regarding|of)\s"
    r"(?:a\s|an\s|the\s)?(?:\w+\s)?$"
)
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
    if RECOVERY_BEFORE.search(window + " " if window else ""):
        return True
    negators = list(NEGATORS.finditer(window))
    if negators and not NEW_SUBJECT.search(window, negators[-1].end()):
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
            if TOPIC_BEFORE.search(squashed[max(0, start - 80) : start]):
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


def list_categories(text: str) -> list[str]:
    """The distinct categories the phrase list finds in ``text``, in a fixed order."""
    present = {m.category for m in screen(text)}
    return [c.value for c in RiskCategory if c in present]


_TRUE = frozenset({"true", "on", "ok", "y", "yes", "1"})


def embeddings_enabled() -> bool:
    """The ``KINDRED_RISK_EMBEDDINGS`` setting (default on; "off" means the phrase list
    alone). Outside Django (``python -m kindred.space.risk_report``) the environment
    variable of the same name is read."""
    from django.conf import settings

    if settings.configured:
        return bool(getattr(settings, "KINDRED_RISK_EMBEDDINGS", True))
    return os.environ.get("KINDRED_RISK_EMBEDDINGS", "on").strip().lower() in _TRUE


def categories(text: str) -> list[str]:
    """The distinct categories found in ``text``, in a fixed order (for storing).

    The phrase list decides when it finds something. When it finds nothing, the
    embedding second opinion (``risk_embedding``) may: its answer is the category of the
    nearest labelled positive. If the model is off or cannot run, the phrase list's
    answer stands; screening never fails a post."""
    found = list_categories(text)
    if found or not text or not text.strip() or not embeddings_enabled():
        return found
    from kindred.space import risk_embedding

    try:
        (second,) = risk_embedding.second_opinion([text])
    except Exception:  # never fail the writer's post because of the second opinion
        logger.warning("risk second opinion failed on a text; phrase list alone", exc_info=True)
        return found
    return [second] if second else found
