"""Place-tagging benchmark: our place topics against the Reuters-21578 editors' places.

Each story is tagged from its title (headline) and its dateline plus body, as wire copy
reads ("NEW YORK, Feb 26 - ..."). Place topics are mapped to country codes and then to the
Reuters slugs of 1987 (Germany → west-germany, Russia → ussr). Micro precision, recall and
F1 over stories with a body and at least one place label.

    python bench/topics.py --data ../shared/data/corpus/reuters21578.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

import pycountry

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import wire_body
from news.aliases import load_alias_table
from news.topics import find_country_code, tag_topics

REUTERS_SLUGS = {
    "US": "usa",
    "GB": "uk",
    "DE": "west-germany",
    "SU": "ussr",
    "RU": "ussr",
    "AE": "uae",
    "KR": "south-korea",
    "KP": "north-korea",
    "CI": "ivory-coast",
    "CD": "zaire",
    "KH": "kampuchea",
    "MM": "burma",
    "TT": "trinidad-tobago",
    "VI": "us-virgin-islands",
    "SZ": "swaziland",
    "YU": "yugoslavia",
    "CZ": "czechoslovakia",
    "SK": "czechoslovakia",
    "AG": "antigua",
    "KY": "cayman-islands",
    "YE": "yemen-arab-republic",
    "HK": "hong-kong",
    "TW": "taiwan",
    "IR": "iran",
    "SY": "syria",
    "TZ": "tanzania",
    "VN": "vietnam",
    "BO": "bolivia",
    "VE": "venezuela",
    "LA": "laos",
    "TR": "turkey",
    "RS": "yugoslavia",
    "HR": "yugoslavia",
    "SI": "yugoslavia",
}


def find_reuters_slug(code: str) -> str:
    if code in REUTERS_SLUGS:
        return REUTERS_SLUGS[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code.casefold()
    name = getattr(country, "common_name", None) or country.name
    return name.split(",")[0].casefold().replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="reuters21578.jsonl.gz")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N stories")
    parser.add_argument("--errors", type=int, default=0, help="print the N commonest misses")
    arguments = parser.parse_args(argv)
    aliases = load_alias_table()
    true_positives = false_positives = false_negatives = stories = 0
    missed: Counter[str] = Counter()
    spurious: Counter[str] = Counter()
    started = time.perf_counter()
    with gzip.open(arguments.data, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if not (row.get("body") or "").strip() or not row.get("places"):
                continue
            stories += 1
            topics = tag_topics(headline=row.get("title"), body=wire_body(row), aliases=aliases)
            predicted = set()
            for topic in topics:
                if topic.kind == "place":
                    code = find_country_code(topic.name, aliases)
                    if code is not None:
                        predicted.add(find_reuters_slug(code))
            expected = set(row["places"])
            true_positives += len(predicted & expected)
            false_positives += len(predicted - expected)
            false_negatives += len(expected - predicted)
            missed.update(expected - predicted)
            spurious.update(predicted - expected)
            if arguments.limit and stories >= arguments.limit:
                break
    seconds = time.perf_counter() - started
    precision = true_positives / max(1, true_positives + false_positives)
    recall = true_positives / max(1, true_positives + false_negatives)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    print(f"stories: {stories}, seconds: {seconds:.1f}")
    print("| micro precision | micro recall | micro F1 |")
    print("|---:|---:|---:|")
    print(f"| {precision:.3f} | {recall:.3f} | {f1:.3f} |")
    if arguments.errors:
        print("missed:", missed.most_common(arguments.errors))
        print("spurious:", spurious.most_common(arguments.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
