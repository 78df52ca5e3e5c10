"""Intents, filters, names and topics: the rest of the question grammar, and parse_question.

A bare topic (``Ukraine``) asks for the newest stories first: in a newsroom a topic on its
own means "what is happening with it now". ``top N``, ``search``, ``find`` and
``what do we have on`` ask for the most relevant first.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from news.aliases import AliasTable
from news.gazetteer import load_gazetteer, place_phrases
from news.questions.dates import ISO_DATE, _DateGrammar
from news.questions.model import MAX_EXCLUDED, MAX_GROUPS, MAX_LIMIT, Intent, Question, TermGroup
from news.questions.tokens import (
    _clean_name,
    _clean_text,
    _split_chunk,
    _Token,
    _tokenize,
    clean_term,
)
from news.questions.vocabulary import (
    ACRONYM,
    COMBINING_FORMS,
    COUNT_NOUNS,
    EXCHANGE_WORDS,
    FLOW_WORDS,
    GREETINGS,
    HARD_BOUNDARY,
    HELP_PHRASES,
    INTENT_PHRASES,
    MEMBER_WORDS,
    NAME_CONNECTORS,
    PERSON_VERBS,
    PHRASE_CONNECTORS,
    ROLE_TITLES,
    ROLE_WORDS,
    SOFT_WORDS,
    STATUS_VALUES,
    STOP_WORDS,
    TITLE_WORDS,
    names_a_currency,
)

# -- aliases --------------------------------------------------------------------------------

_ALIAS_INDEXES: dict[int, tuple[AliasTable, dict[tuple[str, ...], str], int]] = {}


def _words_key(texts: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(texts).casefold().split())


def _alias_index(aliases: AliasTable) -> tuple[dict[tuple[str, ...], str], int]:
    cached = _ALIAS_INDEXES.get(id(aliases))
    if cached is not None and cached[0] is aliases:
        return cached[1], cached[2]
    index: dict[tuple[str, ...], str] = {}
    for canonical, names in aliases.topics.items():
        for name in (canonical, *names):
            cleans = [
                clean_term(piece) for chunk in name.split() for piece, _ in _split_chunk(chunk)
            ]
            key = _words_key(cleans)
            if key and len(key) <= 8:
                index.setdefault(key, name)
    for canonical, region in aliases.regions.items():
        for name in (canonical, *region.aliases):
            key = _words_key([clean_term(name)])
            if key and len(key) <= 8:
                index.setdefault(key, name)
    longest = max((len(key) for key in index), default=1)
    if len(_ALIAS_INDEXES) >= 8:
        _ALIAS_INDEXES.clear()
    _ALIAS_INDEXES[id(aliases)] = (aliases, index, longest)
    return index, longest


class _Parser(_DateGrammar):
    def __init__(
        self,
        tokens: list[_Token],
        *,
        now: datetime,
        timezone: tzinfo,
        aliases: AliasTable,
        outlets: Collection[str] | None = None,
    ) -> None:
        super().__init__(tokens, now=now, timezone=timezone)
        self.aliases = aliases
        self.phrases: list[str] = []
        self.outlet_unsure = False
        self.outlets = None if outlets is None else [o.casefold() for o in outlets if o]
        words = [t for t in tokens if t.kind == "word" and t.clean and t.text[:1].isalpha()]
        content = [t for t in words if t.word not in STOP_WORDS]
        # Typed In Title Case: capitals say nothing about names.
        self.title_case = len(content) >= 3 and all(t.text[:1].isupper() for t in content)
        self.index, self.longest_alias = _alias_index(aliases)
        for i, token in enumerate(tokens):
            token.name = token.name or _is_the_united_states(tokens, i)

    # filters --------------------------------------------------------------------------------

    def rule_count(self, i: int) -> int:
        word = self.word(i)
        if word == "top":
            self.out.intent_hint = self.out.intent_hint or Intent.SEARCH
            amount = self.number(i + 1)
            if amount is None:
                return 1
            self.set_limit(amount)
            return 2 + (self.word(i + 2) in COUNT_NOUNS)
        if word in ("last", "latest", "first", "newest", "limit", "show"):
            amount = self.number(i + 1)
            if amount is None:
                return 0
            self.set_limit(amount)
            if word in ("last", "latest", "newest"):
                self.out.intent = self.out.intent or Intent.LATEST
            return 2 + (self.word(i + 2) in COUNT_NOUNS)
        amount = self.number(i)
        if amount is None:
            return 0
        j = i + 1
        if self.word(j) in ("latest", "newest", "recent", "top"):
            j += 1
        elif self.word(j) == "most" and self.word(j + 1) == "recent":
            j += 2
        if self.word(j) not in COUNT_NOUNS:
            return 0
        if self.word(i + 1) == "top":
            self.out.intent_hint = self.out.intent_hint or Intent.SEARCH
        elif j > i + 1:
            self.out.intent = self.out.intent or Intent.LATEST
        self.set_limit(amount)
        return j + 1 - i

    def set_limit(self, amount: int) -> None:
        self.out.limit = min(amount, MAX_LIMIT) if amount > 0 else None

    def rule_status(self, i: int) -> int:
        word = self.word(i)
        if word in ("published", "unpublished", "drafts"):
            self.out.status = STATUS_VALUES[word]
            return 1
        if word == "draft":
            following = self.word(i + 1)
            ends = i + 1 >= len(self.tokens) or self.tokens[i].ends_clause
            joins = following in COUNT_NOUNS or following in HARD_BOUNDARY
            if (ends or joins) and self.word(i - 1) not in ("the", "a"):
                self.out.status = "draft"
                return 1
        return 0

    def name_run(
        self, i: int, *, capital_limit: int, lower_limit: int, leading: str = ""
    ) -> tuple[int, str]:
        """A person's or outlet's name starting at ``i``: (tokens used, name) or (0, "").

        ``leading`` is a first word already read (``author:Jane`` continues with ``Doe``).
        """
        words: list[str] = [leading] if leading else []
        j = i
        capitals: bool | None = None
        if leading and leading.casefold() not in ("the", "a"):
            capitals = leading[:1].isupper()
        while j < len(self.tokens) and self.is_free_word(j):
            token = self.tokens[j]
            word = token.word
            if word in HARD_BOUNDARY or ISO_DATE.fullmatch(word):
                break
            if capitals is None and word in ("the", "a") and not words:
                words.append(token.text)
                j += 1
                continue
            if capitals is None:
                if not token.text[:1].isalpha():
                    break
                if word in STOP_WORDS and not token.text[:1].isupper():
                    break
                capitals = token.text[:1].isupper()
            elif capitals:
                upper = token.text[:1].isupper() or token.text[:1].isdigit()
                next_upper = self.is_free_word(j + 1) and self.tokens[j + 1].text[:1].isupper()
                if not upper and not (word in NAME_CONNECTORS and next_upper):
                    break
            elif word in STOP_WORDS:
                break
            words.append(token.text)
            j += 1
            if token.ends_clause or len(words) >= (capital_limit if capitals else lower_limit):
                break
        while words and (
            words[-1].casefold() in NAME_CONNECTORS
            or (len(words) > 1 and self.aliases.canonical(words[-1]) is not None)
        ):
            words.pop()
            j -= 1
        if capitals is None or not words:
            return 0, ""
        return j - i, " ".join(words)

    def rule_source(self, i: int) -> int:
        """``from The English Chronicle`` (outlet) and ``by Jane Doe`` (byline).

        A name that is a topic in the alias table (``news from Ukraine``, ``sanctions by
        the EU``, any country, capital or demonym) is left in the topic; so is a name that
        is not one of the archive's outlets, when the caller says which those are.
        """
        word = self.word(i)
        if word not in ("from", "via", "by", "bylined"):
            return 0
        byline = word in ("by", "bylined")
        capital_limit, lower_limit = (5, 3) if byline else (6, 4)
        used, name = self.name_run(i + 1, capital_limit=capital_limit, lower_limit=lower_limit)
        bare = re.sub(r"(?i)^(the|a) ", "", name)
        if (
            not used
            or self.aliases.canonical(bare) is not None
            or self.aliases.region(bare)
            or tuple(bare.casefold().split()) in place_phrases()
        ):
            return 0  # a place: part of the subject
        if byline:
            self.out.byline = _clean_name(name) or self.out.byline
            return 1 + used
        outlet = _clean_name(name)
        if outlet and self.outlets is not None and not self.is_known_outlet(outlet):
            return 0
        if outlet and self.outlets is None:
            self.outlet_unsure = True  # an outlet, unless the archive has none by that name
        self.out.outlet = outlet or self.out.outlet
        return 1 + used

    def is_known_outlet(self, name: str) -> bool:
        folded = re.sub(r"^(the|a) ", "", name.casefold())
        return any(folded in outlet or outlet in folded for outlet in self.outlets or ())

    def rule_exclusion(self, i: int) -> int:
        if self.tokens[i].kind == "neg":
            self.exclude(self.tokens[i].clean)
            return 1
        if self.word(i) in ("excluding", "except", "exclude"):
            j = i + 1
            if (
                j < len(self.tokens)
                and not self.used[j]
                and self.tokens[j].kind in ("word", "phrase")
            ):
                self.exclude(self.tokens[j].clean)
                return 2
        return 0

    def exclude(self, term: str) -> None:
        folded = {t.casefold() for t in self.out.excluded}
        if term and term.casefold() not in folded and len(self.out.excluded) < MAX_EXCLUDED:
            self.out.excluded.append(term)

    def rule_intent(self, i: int) -> int:
        word = self.word(i)
        for phrase, intent in INTENT_PHRASES:
            if phrase[0] != word:
                continue
            if all(self.word(i + k) == part for k, part in enumerate(phrase)):
                self.out.intent = self.out.intent or intent
                return len(phrase)
        return 0

    def apply_desks(self) -> None:
        """``from the politics desk``, ``on the world desk``, ``politics desk``."""
        for j in range(len(self.tokens)):
            if self.word(j) not in ("desk", "desks"):
                continue
            names: list[int] = []
            k = j - 1
            while k >= 0 and len(names) < 2 and self.is_free_word(k):
                if self.word(k) in STOP_WORDS:
                    break
                names.insert(0, k)
                k -= 1
            if not names:
                continue
            start = names[0]
            if self.word(start - 1) == "the":
                start -= 1
                if self.word(start - 1) in ("from", "on", "at", "in", "by", "for", "of"):
                    start -= 1
            else:
                names = names[-1:]
                start = names[0]
            self.out.desk = _clean_name(" ".join(self.tokens[n].text for n in names))
            self.consume(start, j - start + 1)

    def apply_fields(self) -> None:
        for i, token in enumerate(self.tokens):
            if token.kind != "field" or self.used[i]:
                continue
            self.used[i] = True
            value = token.text
            dated = token.key in ("since", "until", "on", "from")
            if dated and (self.apply_date_field(token.key, value) or token.key != "from"):
                continue  # from:monday is a date, from:reuters an outlet
            if token.key in ("outlet", "byline", "from"):
                name = value
                capitalised = value[:1].isupper() or value.casefold() in ("the", "a")
                if value and capitalised and not token.quoted and not token.ends_clause:
                    limit = 5 if token.key == "byline" else 6
                    used, name = self.name_run(
                        i + 1, capital_limit=limit, lower_limit=limit, leading=value
                    )
                    self.consume(i + 1, used)
                cleaned = _clean_name(name or value)
                if cleaned and token.key == "byline":
                    self.out.byline = cleaned
                elif cleaned:
                    self.out.outlet = cleaned
            elif token.key == "desk":
                self.out.desk = _clean_name(value) or self.out.desk
            elif token.key == "status":
                self.out.status = STATUS_VALUES.get(value.casefold(), self.out.status)
            elif token.key == "limit" and value.isdecimal() and value.isascii():
                self.set_limit(int(value[:9]))

    def apply_date_field(self, key: str, value: str) -> bool:
        """``since:2025-01-06``, ``until:friday``, ``date:yesterday``; False if not a date."""
        pieces = [piece for chunk in value.split() for piece, _ in _split_chunk(chunk)]
        tokens = [_Token("word", piece, clean_term(piece)) for piece in pieces]
        inner = _Parser(tokens, now=self.now, timezone=self.timezone, aliases=self.aliases)
        found = inner.date_expression(0)
        if found is None:
            return False
        span = found[1]
        if key in ("since", "from"):
            self.add_since(span)
        elif key == "until":
            self.add_window(None, span.end, f"until {span.name}")
        else:
            self.add_interval(span)
        return True

    # topic ----------------------------------------------------------------------------------

    def is_stop(self, token: _Token) -> bool:
        if token.name:
            return False
        folded = token.clean.casefold()
        if folded not in STOP_WORDS and token.word not in STOP_WORDS:
            return not token.clean
        shouted = len(token.clean) > 1 and token.text.isupper()
        return not (shouted and (folded,) in self.index)

    def alias_match(self, run: list[_Token], j: int) -> tuple[int, str] | None:
        for size in range(min(self.longest_alias, len(run) - j), 0, -1):
            span = run[j : j + size]
            if any(not t.clean for t in span):
                continue
            key = _words_key([t.clean for t in span])
            name = self.index.get(key)
            if name is None and size == 1 and re.search(r"'s?$", key[-1]):
                name = self.index.get((*key[:-1], re.sub(r"'s?$", "", key[-1])))
            if name is None:
                continue
            if size == 1 and self.is_stop(span[0]):
                continue
            return size, name
        return None

    def alias_group(self, span: list[_Token], name: str) -> TermGroup:
        label = " ".join(t.text for t in span)
        region = self.aliases.region(name)
        if region is not None and self.aliases.canonical(name) is None:
            return TermGroup(label, _region_alternatives(self.aliases, region))
        # The name as the table spells it, not as typed: "brazil" typed in lower case is
        # still the proper name "Brazil", which search tells apart from a common word by
        # its capital (a capitalised common noun mid-sentence is a company's name; a
        # proper name is not). The typed words are the same name, so they are not added.
        alternatives = [clean_term(name)]
        alternatives += [_search_form(n) for n in self.aliases.expand(name)]
        return TermGroup(label, _unique(alternatives))

    def run_groups(self, run: list[_Token]) -> list[TermGroup | None]:
        """Groups of one run of free words; None marks an ``or`` between two groups."""
        items: list[TermGroup | None] = []
        j = 0
        while j < len(run):
            token = run[j]
            if token.word == "or":
                items.append(None)
                j += 1
                continue
            pair = self.place_pair(token)
            if pair:
                items.extend(pair)  # "US-Soviet", "Franco-German": each country a subject
                j += 1
                continue
            match = self.alias_match(run, j)
            name_size = self.name_phrase(run, j)
            place = self.place_phrase(run, j)
            if place is not None and (match is None or match[0] < place[0]) and not name_size:
                size, spellings = place
                label = " ".join(t.text for t in run[j : j + size])
                items.append(TermGroup(label, _unique([clean_term(n) for n in spellings])))
                j += size
                continue
            if name_size and (match is None or match[0] < name_size):
                span = run[j : j + name_size]
                text = " ".join(t.text for t in span)
                items.append(TermGroup(text, (" ".join(t.clean for t in span),), phrase=True))
                j += name_size
                continue
            if match is not None:
                size, name = match
                items.append(self.alias_group(run[j : j + size], name))
                j += size
                # "EC countries", "OPEC members", "Gulf member states": the name of a
                # group of countries says "its members" already.
                if j < len(run) and run[j].word == "member":
                    j += 1
                if j < len(run) and run[j].word in MEMBER_WORDS and run[j].word != "member":
                    j += 1
                continue
            if token.word in TITLE_WORDS and self.is_capitalised(run, j + 1):
                j += 1  # "Secretary Baker": the title is not a subject word
                continue
            previous_group = items[-1] if items else None
            if (
                token.word in ("rates", "rate")
                and previous_group is not None
                and _is_place_group(previous_group)
                and self.aliases.canonical(RATES_TOPIC) is not None
            ):
                # "canadian rates", "UK rates": a country's rates are its interest rates.
                items.append(self.alias_group([token], RATES_TOPIC))
                j += 1
                continue
            if not self.is_stop(token) and token.word in ROLE_WORDS:
                items.append(self.role_group(run, j, items))
                j += 1
                continue
            if not self.is_stop(token):
                previous = run[j - 1] if j > 0 else None
                after_commodity = (
                    previous is not None
                    and previous.clean.islower()
                    and not self.is_stop(previous)
                    and previous.word not in FLOW_WORDS | SOFT_WORDS
                )
                optional = token.word in SOFT_WORDS or (
                    token.word in FLOW_WORDS and after_commodity
                )
                items.append(TermGroup(token.text, (token.clean,), optional=optional))
                if (
                    previous is not None
                    and not self.is_stop(previous)
                    and previous.clean.islower()
                    and token.clean.islower()
                    and previous.word != "or"
                    and len(self.phrases) < MAX_GROUPS
                ):
                    self.phrases.append(f"{previous.clean} {token.clean}")
            j += 1
        return items

    def role_group(self, run: list[_Token], j: int, items: list[TermGroup | None]) -> TermGroup:
        """An office asked for: "the chancellor", "finance minister", "energy secretary".

        Copy writes an office capitalised before the holder's name ("Finance Minister
        Gerhard Stoltenberg"), so it is searched as a name, not as a common noun (which a
        capital mid-sentence would mark as part of a company's name). The plain word typed
        just before it names the office ("finance minister") and joins it as one phrase.
        """
        token = run[j]
        previous = run[j - 1] if j > 0 else None
        last = items[-1] if items else None
        if (
            previous is not None
            and last is not None
            and last.alternatives == (previous.clean,)
            and previous.clean.islower()
            and not last.optional
            and previous.word not in FLOW_WORDS
        ):
            items.pop()
            label = f"{previous.text} {token.text}"
            office = f"{previous.clean} {token.clean}".casefold()
            titles = ROLE_TITLES.get(office, (office.title(),))
            return TermGroup(label, titles, phrase=len(titles) == 1)
        return TermGroup(token.text, ROLE_TITLES.get(token.word, (token.clean.title(),)))

    def place_pair(self, token: _Token) -> list[TermGroup]:
        """The countries of a hyphenated pair of places ("US-Soviet", "greek-turkish",
        "Sino-Japanese"), one group each; [] unless every part is a country's name."""
        parts = token.text.split("-")
        if token.kind != "word" or len(parts) < 2 or not all(parts):
            return []
        groups = []
        for part in parts:
            name = COMBINING_FORMS.get(part.casefold(), part)
            known = self.index.get((clean_term(name).casefold(),))
            if known is None:
                return []
            group = self.alias_group([_Token("word", part, clean_term(part))], known)
            if not _is_place_group(group):
                return []
            groups.append(group)
        return groups

    @staticmethod
    def place_phrase(run: list[_Token], j: int) -> tuple[int, tuple[str, ...]] | None:
        """A multi-word place name at ``j`` in any case ("sao paulo", "new york"): the
        tokens it takes and its spellings; None when there is none."""
        phrases = place_phrases()
        for size in (4, 3, 2):
            key = tuple(t.clean.casefold() for t in run[j : j + size])
            if len(key) == size and key in phrases:
                return size, phrases[key]
        return None

    @staticmethod
    def is_capitalised(run: list[_Token], j: int) -> bool:
        return 0 <= j < len(run) and run[j].text[:1].isupper() and run[j].kind == "word"

    def name_phrase(self, run: list[_Token], j: int) -> int:
        """Tokens in a typed multi-word name at ``j`` (``World Bank``, ``Bank of Tokyo``).

        Capitalised words, maybe joined by ``of``/``de``…, none of them a title, a stop
        word or a known name on its own (``US GNP`` is two subjects); 0 when there is none.
        """
        if self.title_case:
            return 0
        k = j
        script = _script(run[j].text)
        while k < len(run):
            token = run[k]
            if self.is_capitalised(run, k) and token.clean and token.word not in TITLE_WORDS:
                if self.is_stop(token) or (token.clean.casefold(),) in self.index:
                    break
                if _script(token.text) != script:
                    break
                k += 1
                if token.ends_clause:
                    break
            elif token.word in PHRASE_CONNECTORS and k > j and self.is_capitalised(run, k + 1):
                k += 1
            else:
                break
        while k > j and run[k - 1].word in PHRASE_CONNECTORS:
            k -= 1
        return k - j if k - j >= 2 else 0

    def topic_and_groups(self) -> tuple[str, tuple[TermGroup, ...]]:
        segments: list[str] = []
        items: list[TermGroup | None] = []
        run: list[_Token] = []

        def close_run() -> None:
            words = list(run)
            while words and (self.is_stop(words[0]) or words[0].word == "or"):
                words.pop(0)
            while words and (self.is_stop(words[-1]) or words[-1].word == "or"):
                words.pop()
            if words:
                segments.append(" ".join(t.text for t in words))
            items.extend(self.run_groups(run))
            run.clear()

        for i, token in enumerate(self.tokens):
            if self.used[i] or token.kind not in ("word", "phrase"):
                close_run()
                continue
            if token.kind == "phrase":
                close_run()
                segments.append(f'"{token.text}"')
                items.append(TermGroup(token.text, (token.clean,), phrase=True))
                continue
            run.append(token)
        close_run()
        return " ".join(segments), _merge_groups(items)

    # all together ---------------------------------------------------------------------------

    def parse(self) -> None:
        self.apply_fields()
        self.apply_desks()
        rules = (
            self.rule_exclusion,
            self.rule_time,
            self.rule_count,
            self.rule_status,
            self.rule_source,
            self.rule_intent,
        )
        for i in range(len(self.tokens)):
            if self.used[i]:
                continue
            for rule in rules:
                used = rule(i)
                if used:
                    self.consume(i, used)
                    break


def _search_form(name: str) -> str:
    """A table name as search words; a dotted acronym as its letters (``U.S.`` → ``U S``).

    Wire copy writes "U.S.", which the search engines read as its letters ("u", "s") or
    as one dotted token, never as the word "us"; searched as ``US`` it would find the
    pronoun and miss the country. Its letters, a phrase, find "U.S." and not "us".
    """
    if ACRONYM.fullmatch(name) and name.endswith("."):
        return " ".join(c for c in name if c != ".")
    return clean_term(name)


MEMBER_NAMES = 4  # names searched for each member of a region
RATES_TOPIC = "interest rates"


def _is_place_group(group: TermGroup) -> bool:
    """Whether a group is a country: one of its names is a country's (the gazetteer's)."""
    return any(_fold(a) in _country_names() for a in group.alternatives)


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


@lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    return frozenset(_fold(n) for names in load_gazetteer().names.values() for n in names)


def _region_alternatives(aliases: AliasTable, canonical: str) -> tuple[str, ...]:
    """A region's own names, then its members' names: a story about any member is about
    the region ("gulf arab states" finds Kuwait). Of each member, the names of at most
    three words that no shorter name of it already finds ("Saudi Arabia" finds "Kingdom
    of Saudi Arabia"), at most ``MEMBER_NAMES``: the search stays a bounded list."""
    region = aliases.regions[canonical]
    found = [_search_form(n) for n in (canonical, *region.aliases)]
    for member in region.members:
        names = [_search_form(n) for n in aliases.expand(member)]
        if (aliases.canonical(member) or member).casefold() != member.casefold():
            # A former or part state filed under another ("East Germany" under Germany,
            # the Soviet Union under Russia): its own names, those that start as it
            # does ("East German", "Soviet"), not the whole country's.
            first = member.split()[0].casefold()
            names = [n for n in names if n.split()[0].casefold() == first]
        names = [n for n in dict.fromkeys(names) if n and len(n.split()) <= 3]
        kept = [n for n in names if not any(other != n and _contains(n, other) for other in names)]
        found += kept[:MEMBER_NAMES]
    return _unique(found)


def _contains(longer: str, shorter: str) -> bool:
    """Whether the words of ``shorter`` appear, together, among those of ``longer``."""
    return f" {shorter.casefold()} " in f" {longer.casefold()} "


# Words after "us" that it describes, as a name would: "us news", "us stories".
_NEWS_NOUNS = COUNT_NOUNS | {"news", "coverage", "updates", "update"}


def _is_the_united_states(tokens: Sequence[_Token], i: int) -> bool:
    """Whether the word at ``i`` is "US" the country, not "us" the pronoun.

    Typed "US" or "U.S." (capitals, dots) it is the country. In lower case, editors use
    it both ways, and the words around it tell: after a verb that takes a person ("tell
    us", "show us") it is the pronoun; after "the" ("news from the us") it is the
    country; right before a subject word it describes ("us interest rates", "us ec
    trade dispute", "us news") it is the country; anywhere else ("what do you have for
    us") the pronoun.
    """
    token = tokens[i]
    if token.kind != "word" or token.clean.casefold() != "us":
        return False
    if token.text.isupper() or "." in token.text:
        return True

    def word(k: int) -> str:
        return tokens[k].word if 0 <= k < len(tokens) and tokens[k].kind == "word" else ""

    before, after = word(i - 1), word(i + 1)
    if before in PERSON_VERBS:
        return False
    if before == "the":
        return True
    if token.ends_clause or not after:
        return False
    return after in _NEWS_NOUNS or (after not in STOP_WORDS and tokens[i + 1].clean != "")


def _script(text: str) -> str:
    """The Unicode script of a word's first letter, as its character name says (LATIN)."""
    return unicodedata.name(text[:1], "?").split(" ")[0] if text else ""


def _unique(terms: Sequence[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    unique = []
    for term in terms:
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            unique.append(term)
    return tuple(unique)


def _merge_groups(items: Sequence[TermGroup | None]) -> tuple[TermGroup, ...]:
    groups: list[TermGroup] = []
    pending_or = False
    for item in items:
        if item is None:
            pending_or = bool(groups)
            continue
        previous = groups[-1] if groups else None
        if pending_or and previous and not previous.phrase and not item.phrase:
            groups[-1] = TermGroup(
                f"{previous.label} or {item.label}",
                _unique([*previous.alternatives, *item.alternatives]),
            )
        else:
            groups.append(item)
        pending_or = False
    unique: list[TermGroup] = []
    seen: set[tuple[bool, frozenset[str]]] = set()
    for group in groups:
        key = (group.phrase, frozenset(a.casefold() for a in group.alternatives))
        if key not in seen and len(unique) < MAX_GROUPS:
            seen.add(key)
            unique.append(group)
    return tuple(unique)


def _is_help(tokens: Sequence[_Token]) -> bool:
    if not tokens:
        return True
    if any(t.kind != "word" for t in tokens):
        return False
    words = [t.word for t in tokens]
    while words and words[0] in GREETINGS:
        words.pop(0)
    while words and words[-1] in GREETINGS:
        words.pop()
    return " ".join(words) in HELP_PHRASES


def parse_question(
    text: str,
    *,
    now: datetime,
    aliases: AliasTable,
    timezone: tzinfo = UTC,
    outlets: Collection[str] | None = None,
) -> Question:
    """What an editor asked, as a structured Question; never raises, whatever the text.

    Only the first ``MAX_QUESTION_CHARS`` characters are read. Day, week, month and year
    boundaries are midnights in ``timezone``; returned datetimes are in UTC. Weekdays and
    dates without a year mean the most recent one before today ("since Monday" on a Monday
    is a week ago). Text that matches no pattern is searched for as plain words.
    ``outlets``, when given, are the outlets the archive holds: ``from <name>`` filters by
    outlet only for one of them, and is otherwise part of the subject. Without them, a
    ``from <name>`` outlet also carries ``as_subject``, the reading with the name in the
    subject, which search takes when the archive has no outlet of that name.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cleaned = _clean_text(text if isinstance(text, str) else "")
    tokens = _tokenize(cleaned)
    if _is_help(tokens):
        return Question(raw=cleaned, intent=Intent.HELP)
    parser = _Parser(tokens, now=now, timezone=timezone, aliases=aliases, outlets=outlets)
    parser.parse()
    topic, groups = parser.topic_and_groups()
    since, until, period = parser.window()
    out = parser.out
    as_subject = None
    if parser.outlet_unsure:
        as_subject = parse_question(text, now=now, aliases=aliases, timezone=timezone, outlets=())
    question = Question(
        raw=cleaned,
        intent=out.intent or out.intent_hint or Intent.LATEST,
        topic=topic,
        groups=_with_exchange_rates(groups),
        excluded=tuple(out.excluded),
        outlet=out.outlet,
        byline=out.byline,
        desk=out.desk,
        status=out.status,
        since=since,
        until=until,
        limit=out.limit,
        period=period,
        phrases=tuple(dict.fromkeys(parser.phrases)),
        asked=out.intent is not None or out.intent_hint is not None or out.limit is not None,
        as_subject=as_subject,
    )
    return dataclasses.replace(question, broader=_broader(question))


def _with_exchange_rates(groups: tuple[TermGroup, ...]) -> tuple[TermGroup, ...]:
    """``groups`` with the exchange-rate words required when they ask about one currency
    and nothing else but places ("the peseta", "how's the won doing?", "Kuwaiti dinar"):
    a currency asked alone is its exchange rate, not the bonds denominated in it. Two
    currencies ("the dollar against the yen") say it already; another subject ("won the
    election", "Swiss franc bonds") asks for something else."""
    required = [g for g in groups if not g.optional]
    currencies = [g for g in required if any(map(names_a_currency, g.alternatives))]
    if len(currencies) != 1 or len(groups) >= MAX_GROUPS:
        return groups
    if not all(g in currencies or _is_place_group(g) for g in required):
        return groups
    return (*groups, TermGroup("exchange rates", EXCHANGE_WORDS, implied=True))


def _is_named(group: TermGroup) -> bool:
    """A subject the tables or the typing named: a place, institution, region, figure
    (several names) or a phrase; not a plain word."""
    return group.phrase or len(group.alternatives) > 1


def _broader(question: Question) -> Question | None:
    """``question`` with its plain required words made ranking words, when it names a
    subject besides them; None when there is nothing to loosen.

    "brazil coffee harvest delays", when no story says all of it, still has Brazil to
    answer on; the plain words then rank rather than filter.
    """
    if any(g.implied and not g.optional for g in question.groups):
        # What the parser read into the question ranks, then, rather than filters.
        groups = tuple(
            dataclasses.replace(g, optional=True) if g.implied else g for g in question.groups
        )
        return dataclasses.replace(question, groups=groups)
    required = [g for g in question.groups if not g.optional]
    named = [g for g in required if _is_named(g)]
    if not named or len(named) == len(required):
        return None
    groups = tuple(
        g if g.optional or _is_named(g) else dataclasses.replace(g, optional=True)
        for g in question.groups
    )
    return dataclasses.replace(question, groups=groups)
