"""The topic alias table: one data file, easy for a newsroom to extend.

``Ukraine`` also finds ``Ukrainian`` and ``Kyiv``; tagging maps ``Britain`` back to ``UK``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from news.errors import NewsdeskError


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Region:
    """A region or group of countries: its other names, and its members (topic names)."""

    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class AliasTable:
    """Canonical topic names and their aliases, looked up case-insensitively.

    ``regions`` are groups of places ("Gulf Arab states"): a question about one asks
    about every member. They are not topics: a story is tagged with its countries, not
    with every region they belong to.
    """

    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regions: Mapping[str, Region] = field(default_factory=dict)
    # One-way names: asking for a topic also finds these ("inflation" finds the consumer
    # price release), which are not its aliases: asking for them does not find the topic,
    # and tagging never maps them to it.
    finds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for canonical, aliases in self.topics.items():
            for name in (canonical, *aliases):
                index.setdefault(_fold(name), canonical)
        object.__setattr__(self, "_index", index)
        regions: dict[str, str] = {}
        for canonical, region in self.regions.items():
            for name in (canonical, *region.aliases):
                regions.setdefault(_fold(name), canonical)
        object.__setattr__(self, "_regions", regions)

    def region(self, name: str) -> str | None:
        """The region ``name`` is a name of, if any (``Gulf states`` → ``Gulf Arab states``)."""
        regions: dict[str, str] = self._regions  # type: ignore[attr-defined]
        return regions.get(_fold(name))

    def canonical(self, name: str) -> str | None:
        """The canonical topic for ``name`` (itself an alias or canonical name), if any."""
        index: dict[str, str] = self._index  # type: ignore[attr-defined]
        return index.get(_fold(name))

    def expand(self, name: str) -> list[str]:
        """``name``, every other name of the same topic and the names the topic also finds;
        ``[name]`` when unknown."""
        canonical = self.canonical(name)
        if canonical is None:
            return [name]
        names = [canonical, *self.topics[canonical]]
        if _fold(name) not in {_fold(n) for n in names}:
            names.insert(0, name)
        known = {_fold(n) for n in names}
        names += [n for n in self.finds.get(canonical, ()) if _fold(n) not in known]
        return names

    def merged_with(self, other: AliasTable) -> AliasTable:
        """This table with ``other``'s entries added; ``other`` wins for a topic in both."""
        topics = dict(self.topics)
        topics.update(other.topics)
        regions = dict(self.regions)
        regions.update(other.regions)
        finds = {name: names for name, names in self.finds.items() if name not in other.topics}
        finds.update(other.finds)
        return AliasTable(topics, regions, finds)


def parse_alias_table(text: str, *, source: str = "aliases") -> AliasTable:
    """Read a TOML alias table: ``[Topic]`` tables each with ``aliases = [...]``.

    A table with ``members = [...]`` (places the table knows) is a region: its names
    stand for every member ("Benelux" for Belgium, the Netherlands and Luxembourg).
    A topic's ``finds = [...]`` are names that asking for it also finds, one way only
    ("inflation" finds "consumer prices"; "consumer prices" does not find "inflation").
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NewsdeskError(f"{source}: not valid TOML ({error})") from error
    topics: dict[str, tuple[str, ...]] = {}
    regions: dict[str, Region] = {}
    finds: dict[str, tuple[str, ...]] = {}
    for canonical, entry in data.items():
        aliases = entry.get("aliases", []) if isinstance(entry, dict) else None
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise NewsdeskError(f'{source}: [{canonical}] needs aliases = ["…", …]')
        members = entry.get("members") if isinstance(entry, dict) else None
        found = entry.get("finds", [])
        if not isinstance(found, list) or not all(isinstance(f, str) for f in found):
            raise NewsdeskError(f'{source}: [{canonical}] finds must be ["…", …]')
        if found and members is not None:
            raise NewsdeskError(f"{source}: [{canonical}] is a region: it cannot have finds")
        if found:
            finds[canonical] = tuple(found)
        if members is None:
            topics[canonical] = tuple(aliases)
        elif isinstance(members, list) and members and all(isinstance(m, str) for m in members):
            regions[canonical] = Region(tuple(aliases), tuple(members))
        else:
            raise NewsdeskError(f'{source}: [{canonical}] members must be ["…", …]')
    return AliasTable(topics, regions, finds)


def builtin_alias_table() -> AliasTable:
    """The curated table (``news/data/aliases.toml``) with every country's generated names,
    the curated regions (``news/data/regions.toml``) and the UN M49 regions they do not
    name (``news.gazetteer.m49_regions``)."""
    from news.gazetteer import place_topics

    builtin = resources.files("news").joinpath("data/aliases.toml").read_text(encoding="utf-8")
    curated = parse_alias_table(builtin, source="built-in aliases")
    regions = resources.files("news").joinpath("data/regions.toml").read_text(encoding="utf-8")
    regional = parse_alias_table(regions, source="built-in regions")
    places = AliasTable(place_topics(dict(curated.topics)))
    # Groups of goods ("softs", "base metals") are curated with the goods' names.
    grouped = AliasTable(regions={**regional.regions, **curated.regions})
    regions_found = {**_m49_regions(places, grouped), **grouped.regions}
    return AliasTable(places.topics, regions_found, curated.finds)


# A generated region of more countries than this (a continent, "Sub-Saharan Africa") would
# make a question of a hundred and more names: its own name is searched instead.
MAX_GENERATED_MEMBERS = 20


def _m49_regions(places: AliasTable, curated: AliasTable) -> dict[str, Region]:
    """The M49 regions, under their names that neither a curated region nor a place has
    ("Micronesia" is a country; "Eastern Europe" is curated), members as place topics."""
    from news.gazetteer import m49_regions, names_of

    taken = {
        _fold(name) for name, region in curated.regions.items() for name in (name, *region.aliases)
    }
    generated: dict[str, Region] = {}
    for names, codes in m49_regions().values():
        free = [n for n in names if _fold(n) not in taken and places.canonical(n) is None]
        # A country is the topic of its preferred name ("United Kingdom" is filed as UK).
        topics = (places.canonical(own[0]) for code in codes if (own := tuple(names_of(code))))
        members = list(dict.fromkeys(topic for topic in topics if topic))
        if free and 0 < len(members) <= MAX_GENERATED_MEMBERS:
            generated[free[0]] = Region(tuple(free[1:]), tuple(members))
    return generated


def load_alias_table(extra_files: Iterable[Path] = ()) -> AliasTable:
    """The built-in table, extended by the newsroom's own files in order."""
    table = builtin_alias_table()
    for path in extra_files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise NewsdeskError(f"cannot read alias file {path}: {error.strerror}") from error
        table = table.merged_with(parse_alias_table(text, source=str(path)))
    return table
