"""The relevance benchmark's question files, judgments and its ``--fresh`` set.

``bench/relevance.py`` reads question files (``kind<TAB>question<TAB>judgment``), turns each
judgment into clauses of Reuters labels and asks the questions set by set. Here the reading
and the judging are checked on small files written for the test, and one small run through
``main`` on SQLite shows the fresh set asked beside the dev set in the same table.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bench.relevance import (
    DEV_QUESTIONS,
    Asked,
    Judgement,
    is_holdout,
    lowered,
    main,
    parse_judgment,
    read_dev_questions,
    read_fresh_questions,
    to_article,
)

FRESH_QUESTIONS = DEV_QUESTIONS.with_name("fresh_questions.tsv")

# Questions chosen so that the dev rule puts some in its held-out third and some not.
QUESTIONS = [
    ("rare", "anything on naphtha", "topic:naphtha"),
    ("paraphrase", "cocoa in ghana", "place:ghana & topic:cocoa"),
    ("names", "the pound", "place:uk|topic:stg & topic:stg|topic:money-fx"),
    ("names", "what is de clercq saying", "people:de-clercq"),
    ("names", "tin council", "org:itc"),
    ("rare", "sunflower oil?", "topic:sun-oil"),
]


def write_questions(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["# a comment", "# kind<TAB>question<TAB>judgment", ""]
    lines += ["\t".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_story_keeps_its_wire_dateline_before_the_body() -> None:
    story = {"id": 7, "date": "1987-03-03T10:00:00", "title": "WHEAT TENDER"}
    with_dateline = to_article(
        {**story, "dateline": "SYDNEY, March 3 -", "body": "Wheat was sold."}, None
    )
    assert with_dateline.body == "SYDNEY, March 3 - Wheat was sold."
    without = to_article({**story, "dateline": None, "body": "Wheat was sold."}, None)
    assert without.body == "Wheat was sold."


def test_parse_judgment_reads_clauses_and_alternatives() -> None:
    assert parse_judgment("topic:wheat & place:ussr") == (
        (("topics", "wheat"),),
        (("places", "ussr"),),
    )
    assert parse_judgment("place:uk|topic:stg & topic:stg|topic:money-fx") == (
        (("places", "uk"), ("topics", "stg")),
        (("topics", "stg"), ("topics", "money-fx")),
    )
    assert parse_judgment("org:itc") == ((("orgs", "itc"),),)
    assert parse_judgment(" people:de-clercq ") == ((("people", "de-clercq"),),)


@pytest.mark.parametrize("judgment", ["country:uk", "topic:", "wheat", "topic:wheat & ", "|"])
def test_parse_judgment_rejects_bad_labels(judgment: str) -> None:
    with pytest.raises(ValueError, match="bad label"):
        parse_judgment(judgment)


def test_a_story_is_relevant_when_every_clause_holds() -> None:
    asked = Asked("fresh", "names", "the pound", parse_judgment(QUESTIONS[2][2]))
    assert asked.relevant({"places": ["uk"], "topics": ["money-fx"]})
    assert asked.relevant({"places": [], "topics": ["stg"]})
    assert not asked.relevant({"places": ["uk"], "topics": ["trade"]})
    assert not asked.relevant({"places": ["france"], "topics": ["money-fx"]})
    assert not asked.relevant({"topics": None})


def test_a_story_without_a_label_of_a_clauses_kind_cannot_be_judged() -> None:
    asked = Asked("fresh", "paraphrase", "cocoa in ghana", parse_judgment(QUESTIONS[1][2]))
    assert asked.judged({"places": ["uk"], "topics": ["trade"]})  # judged: not relevant
    assert not asked.judged({"places": ["ghana"], "topics": []})  # no topic at all
    assert not asked.judged({"places": [], "topics": ["cocoa"]})
    found = Judgement(
        asked, "newsdesk", relevant=9, found=(1, 2, 3, 4, 5), hits=2, newest_found=0, judged=4
    )
    assert found.precision == 0.4
    assert found.judged_precision == 0.5
    assert replace(found, hits=0, judged=0).judged_precision is None


def test_fresh_file_is_asked_whole_while_dev_file_is_split(tmp_path: Path) -> None:
    path = write_questions(tmp_path / "questions.tsv", QUESTIONS)

    fresh = read_fresh_questions(path)
    assert [(a.kind, a.text) for a in fresh] == [(kind, text) for kind, text, _ in QUESTIONS]
    assert {a.set_name for a in fresh} == {"questions"}
    second = read_fresh_questions(write_questions(tmp_path / "fresh2_questions.tsv", QUESTIONS))
    assert {a.set_name for a in second} == {"fresh2"}
    assert fresh[1].clauses == ((("places", "ghana"),), (("topics", "cocoa"),))

    dev = read_dev_questions(path)
    assert [a.set_name for a in dev] == [
        "holdout" if is_holdout(text) else "dev" for _, text, _ in QUESTIONS
    ]
    assert {a.set_name for a in dev} == {"dev", "holdout"}
    assert [a.clauses for a in dev] == [a.clauses for a in fresh]


def test_a_line_without_three_fields_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "questions.tsv"
    path.write_text("# header\nrare\tnaphtha\ttopic:naphtha\nrare\tno judgment\n", "utf-8")
    with pytest.raises(ValueError, match=r"questions\.tsv:3: expected kind, question"):
        read_fresh_questions(path)


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_the_fresh_file_parses_and_repeats_no_dev_question() -> None:
    fresh = read_fresh_questions(FRESH_QUESTIONS)
    assert len(fresh) >= 180
    kinds = {kind: sum(1 for a in fresh if a.kind == kind) for kind in {a.kind for a in fresh}}
    assert set(kinds) == {"rare", "paraphrase", "names"}
    assert min(kinds.values()) >= 55
    texts = [words(a.text) for a in fresh]
    assert len(set(texts)) == len(texts)
    assert not set(texts) & {words(a.text) for a in read_dev_questions(DEV_QUESTIONS)}
    assert not [t for t in texts if t.startswith("latest on ")]


def story(number: int, title: str, body: str, **labels: list[str]) -> dict[str, object]:
    return {
        "id": number,
        "date": f"1987-03-{number:02d}T10:00:00",
        "title": title,
        "body": body,
        "topics": labels.get("topics", []),
        "places": labels.get("places", []),
        "orgs": [],
        "people": [],
    }


def test_fresh_questions_are_a_column_beside_dev(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stories = [
        story(
            n,
            f"GHANA COCOA CROP ESTIMATE {n}",
            f"Ghana's cocoa crop for the season is put at {100 + n},000 tonnes, the "
            "cocoa marketing board said in Accra.",
            topics=["cocoa"],
            places=["ghana"],
        )
        for n in range(1, 7)
    ]
    stories += [
        story(
            n,
            f"SOVIET UNION BUYS U.S. WHEAT {n}",
            f"The Soviet Union bought {n}00,000 tonnes of U.S. wheat for shipment this "
            "spring, the Agriculture Department said.",
            topics=["wheat", "grain"],
            places=["ussr", "usa"],
        )
        for n in range(7, 13)
    ]
    stories.append(story(13, "NAPHTHA CARGO SOLD", "A naphtha cargo was sold.", topics=["naphtha"]))
    data = tmp_path / "reuters.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(s) + "\n" for s in stories)
    dev = write_questions(tmp_path / "dev.tsv", [("rare", "cocoa", "topic:cocoa")])
    fresh = write_questions(
        tmp_path / "fresh.tsv",
        [
            ("paraphrase", "wheat for the soviets", "place:ussr & topic:wheat"),
            ("paraphrase", "ghana's cocoa harvest", "place:ghana & topic:cocoa"),
            ("rare", "naphtha", "topic:naphtha"),  # one relevant story: left out
        ],
    )
    assert not is_holdout("cocoa")  # the dev question is in the dev part, not held out

    main(
        [
            *("--data", str(data), "--engines", "sqlite", "--sets", "dev"),
            *("--questions", str(dev), "--fresh", str(fresh)),
        ]
    )

    printed = capsys.readouterr().out
    assert "3 questions (dev: 1, fresh: 2; 0 dev questions and 1 fresh questions with" in printed
    assert "| system | dev: p@5 / newest found | fresh: p@5 / newest found |" in printed
    rows = [line for line in printed.splitlines() if line.startswith("| newsdesk |")]
    assert len(rows) == 2  # precision@5, then precision over the judged stories
    assert "(n=1)" in rows[0]
    assert "(n=2)" in rows[0]
    assert "judged)" in rows[1]
    for system in ("bm25 top 5", "bm25 top 50, 5 newest"):
        assert any(
            line.startswith(f"| {system} |") and "(n=2)" in line for line in printed.splitlines()
        )
    assert "| fresh | paraphrase | 2 |" in printed


def test_a_lower_set_asks_the_same_questions_lower_cased(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = [Asked("dev", "names", "News from Ghana", parse_judgment("place:ghana"))]
    assert lowered(asked, "dev-lower") == [
        Asked("dev-lower", "names", "news from ghana", asked[0].clauses)
    ]

    stories = [
        story(n, f"GHANA COCOA CROP {n}", "Ghana's cocoa crop is up.", places=["ghana"])
        for n in range(1, 7)
    ]
    data = tmp_path / "reuters.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(s) + "\n" for s in stories)
    dev = write_questions(tmp_path / "dev.tsv", [("names", "Ghana news", "place:ghana")])
    assert not is_holdout("Ghana news")
    main(
        [
            *("--data", str(data), "--engines", "sqlite", "--sets", "dev,dev-lower"),
            *("--questions", str(dev), "--per-question"),
        ]
    )
    printed = capsys.readouterr().out
    assert "2 questions (dev: 1, dev-lower: 1;" in printed
    assert "| system | dev: p@5 / newest found | dev-lower: p@5 / newest found |" in printed
    assert "| dev | names | Ghana news |" in printed
    assert "| dev-lower | names | ghana news |" in printed
