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
class AliasTable:
    """Canonical topic names and their aliases, looked up case-insensitively."""

    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for canonical, aliases in self.topics.items():
            for name in (canonical, *aliases):
                index.setdefault(_fold(name), canonical)
        object.__setattr__(self, "_index", index)

    def canonical(self, name: str) -> str | None:
        """The canonical topic for ``name`` (itself an alias or canonical name), if any."""
        index: dict[str, str] = self._index  # type: ignore[attr-defined]
        return index.get(_fold(name))

    def expand(self, name: str) -> list[str]:
        """``name`` and every other name of the same topic; ``[name]`` when unknown."""
        canonical = self.canonical(name)
        if canonical is None:
            return [name]
        names = [canonical, *self.topics[canonical]]
        if _fold(name) not in {_fold(n) for n in names}:
            names.insert(0, name)
        return names

    def merged_with(self, other: AliasTable) -> AliasTable:
        """This table with ``other``'s entries added; ``other`` wins for a topic in both."""
        topics = dict(self.topics)
        topics.update(other.topics)
        return AliasTable(topics)


def parse_alias_table(text: str, *, source: str = "aliases") -> AliasTable:
    """Read a TOML alias table: ``[Topic]`` tables each with ``aliases = [...]``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NewsdeskError(f"{source}: not valid TOML ({error})") from error
    topics: dict[str, tuple[str, ...]] = {}
    for canonical, entry in data.items():
        aliases = entry.get("aliases", []) if isinstance(entry, dict) else None
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise NewsdeskError(f'{source}: [{canonical}] needs aliases = ["…", …]')
        topics[canonical] = tuple(aliases)
    return AliasTable(topics)


def builtin_alias_table() -> AliasTable:
    """The curated table (``news/data/aliases.toml``) with every country's generated names."""
    from news.gazetteer import place_topics

    builtin = resources.files("news").joinpath("data/aliases.toml").read_text(encoding="utf-8")
    curated = parse_alias_table(builtin, source="built-in aliases")
    return AliasTable(place_topics(dict(curated.topics)))


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
