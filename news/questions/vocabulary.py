"""Fixed vocabulary of the question grammar: stop words, intent phrases, field keys."""

from __future__ import annotations

import re

from news.questions.model import Intent


def _word_list(words: str) -> list[str]:
    return words.split()


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOP_WORDS = _word_set(
    """a an the of on about any news stories story articles article pieces piece items item
    coverage headlines results links in at for to with and or from by re regarding concerning
    around near into over since until till after before between during is are was were be been
    there what what's whats which who how when where why do does did we have has had got get
    give show tell find search list us me i you your our my it its this that these those some
    all anything something everything please pls plz thanks thank can could would will should
    hey hi hello ok okay newsdesk latest newest recent updates update happening happened going
    up more stuff things let know just also not without so but if as via per else other
    out saying say says said doing talking lately currently many much heading headed
    where's wheres who's whos whom whose how's hows when's why's anyone anybody someone moving
    somebody"""
)
# Verbs that take a person as their object: "us" right after one is the pronoun ("tell us
# about oil", "show us wheat stories"), whatever follows it.
PERSON_VERBS = _word_set(
    """tell show give let get find send bring keep help catch update brief remind ping
    email mail message alert fill"""
)
# Words after a group of countries that only say "its members" ("EC countries", "OPEC
# members", "Gulf states"): the group's name says it already, so they are not required.
MEMBER_WORDS = _word_set("countries country members member nations states governments")
# Hedge words editors add to a subject ("the lead market", "UK trade figures"): they rank,
# but a story about the subject need not use them.
SOFT_WORDS = _word_set(
    """market markets figures data numbers situation outlook sector scene industry industries
    relations ties tensions"""
)
# Trade and output words after a commodity ("grain purchases", "corn exports", "oil
# output") say which news about it is wanted; wire copy says the same with verbs ("sold
# to", "bought", "shipped", "produced"), so they rank like hedge words. After a name or
# alone ("UK exports") they are the subject.
FLOW_WORDS = _word_set("exports imports purchases sales shipments output production")
# The combining forms of places that open a hyphenated pair ("Franco-German ties",
# "Sino-Soviet talks"): each stands for its country, as the other half's name does.
COMBINING_FORMS = {
    "anglo": "UK",
    "franco": "France",
    "sino": "China",
    "russo": "Russia",
    "italo": "Italy",
    "greco": "Greece",
    "graeco": "Greece",
    "austro": "Austria",
    "hispano": "Spain",
    "indo": "India",
    "turco": "Turkey",
    "germano": "Germany",
    "luso": "Portugal",
    "nippo": "Japan",
    "belgo": "Belgium",
}
# Currency units: after a country's name they name its currency ("Swiss franc", "Kuwaiti
# dinar"); asked alone or so, they ask about exchange rates.
CURRENCY_UNITS = _word_set(
    """dollar franc mark pound sterling yen lira lire peseta guilder krona krone kronor
    kroner rand peso won yuan renminbi rupee rupiah ringgit baht escudo drachma schilling
    ecu euro riyal rial dinar dirham shekel zloty forint rouble ruble real cruzado austral
    kwacha naira cedi shilling taka kyat"""
)


def names_a_currency(name: str) -> bool:
    """Whether ``name`` ends in a currency unit ("Swiss francs", "the yen's", "dinar")."""
    words = name.split()
    last = words[-1].casefold().removesuffix("'s").removesuffix("’s") if words else ""
    return last in CURRENCY_UNITS or last.removesuffix("s") in CURRENCY_UNITS


# What copy about a currency's exchange rate says, beside the currency: a question about
# a currency alone needs one of these, so that bond issues denominated in it ("a 500 mln
# French franc bond") and prices per pound do not answer it.
EXCHANGE_WORDS = (
    "currency",
    "currencies",
    "exchange rate",
    "exchange rates",
    "foreign exchange",
    "exchange market",
    "exchange markets",
    "parity",
    "devaluation",
    "devalued",
    "revaluation",
    "intervention",
    "intervened",
    "against the dollar",
    "against the mark",
    "against the yen",
)
# Titles inside a typed name ("Treasury Secretary Baker"): they end a name phrase.
TITLE_WORDS = _word_set(
    """president minister secretary chairman chairwoman governor chancellor senator
    spokesman spokeswoman prime king queen prince mr mrs ms dr sir"""
)
# Offices asked for by their title ("the finance minister", "Fed chairman"): searched as the
# capitalised title copy writes before a holder's name.
ROLE_WORDS = _word_set(
    """president minister secretary chairman chairwoman governor chancellor premier
    commissioner pm"""
)
# One office under the titles copy gives it: "Prime Minister Chirac", "Premier Li Peng".
ROLE_TITLES = {
    "prime minister": ("Prime Minister", "Premier"),
    "premier": ("Premier", "Prime Minister"),
    "pm": ("Prime Minister", "Premier"),
}
# Words that may join the capitalised words of one name ("Bank of England").
PHRASE_CONNECTORS = _word_set("of de du von van der la le del da di al bin y")
# Words that end a byline or outlet name typed in capitals ("from Reuters since Monday").
HARD_BOUNDARY = _word_set(
    """on about in at for to with from by since until till after before between during this
    last past today yesterday tonight published unpublished drafts top and or re regarding
    monday tuesday wednesday thursday friday saturday sunday desk"""
)
NAME_CONNECTORS = _word_set("of the de van von der al bin da di le la del du y and")
COUNT_NOUNS = _word_set(
    "stories story articles article items item results pieces headlines links ones"
)
HELP_PHRASES = frozenset(
    {
        "help",
        "help me",
        "help please",
        "what can you do",
        "what do you do",
        "what can i ask",
        "what can i ask you",
        "how does this work",
        "how do i use this",
        "how do i use you",
        "how do you work",
        "who are you",
        "commands",
        "usage",
        "options",
    }
)
GREETINGS = _word_set("hey hi hello please newsdesk ok okay")
LATEST_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "what's the latest",
        "whats the latest",
        "what is the latest",
        "what's going on",
        "whats going on",
        "what is going on",
        "what's happening",
        "whats happening",
        "what is happening",
        "what's new",
        "whats new",
        "what is new",
        "what's the word",
        "whats the word",
        "what is the word",
        "any word",
        "what happened",
        "is there anything",
        "are there any",
        "anything new",
        "any updates",
        "any update",
        "any news",
        "catch me up",
        "most recent",
        "the latest",
        "latest",
        "anything",
        "news",
        "updates",
        "update",
        "newest",
        "recent",
        "breaking",
    )
)
SEARCH_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "what do we have",
        "what have we got",
        "what've we got",
        "what we have",
        "what have we",
        "do we have",
        "have we got",
        "search for",
        "look for",
        "look up",
        "find me",
        "dig up",
        "search",
        "find",
        "lookup",
        "everything",
    )
)
INTENT_PHRASES: tuple[tuple[tuple[str, ...], Intent], ...] = tuple(
    sorted(
        [(p, Intent.LATEST) for p in LATEST_PHRASES] + [(p, Intent.SEARCH) for p in SEARCH_PHRASES],
        key=lambda entry: -len(entry[0]),
    )
)
NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        _word_list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?")
SLACK_MARKUP = re.compile(r"<(?:[@#!][^<>]*|[a-z][a-z0-9+.\-]*:[^<>]*)>", re.IGNORECASE)
EMOJI_SHORTCODE = re.compile(r"(?<!\w):[a-z][a-z0-9_+'\-]*:", re.IGNORECASE)
QUOTES = str.maketrans(
    {c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u301d\u301e\u2033"}
    | {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc"}
)
FIELD_KEYS = {
    **dict.fromkeys(["outlet", "source", "publication"], "outlet"),
    **dict.fromkeys(["author", "byline", "by", "reporter", "writer"], "byline"),
    **dict.fromkeys(["desk", "section"], "desk"),
    "status": "status",
    **dict.fromkeys(["limit", "count", "top"], "limit"),
    **dict.fromkeys(["since", "after"], "since"),
    **dict.fromkeys(["until", "before"], "until"),
    "date": "on",
    "from": "from",
}
FIELD_KEY_PATTERN = "|".join(sorted(FIELD_KEYS, key=len, reverse=True))
TOKEN = re.compile(
    rf"""(?P<field>(?<!\S)(?P<key>{FIELD_KEY_PATTERN}):
            \s*(?:"(?P<fquoted>[^"]*)"|(?P<fvalue>[^\s"]+)))
        |(?P<neg>(?<!\S)-)?"(?P<phrase>[^"]*)"
        |(?P<chunk>[^\s"]+)
        |\"""",
    re.IGNORECASE | re.VERBOSE,
)
STATUS_VALUES = {
    **dict.fromkeys(["published", "publish", "live"], "published"),
    **dict.fromkeys(["draft", "drafts", "unpublished"], "draft"),
}
CLAUSE_ENDS = frozenset(",;:?!")
JOINERS = "'-.&"
