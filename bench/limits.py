"""Hostile inputs: CPU seconds and peak memory of each stage a user's input passes through.

Every case runs in a fresh interpreter that does the one thing and reports its own CPU time
(user + system, imports excluded) and peak resident memory. Beside each, where it can be run
without exhausting the machine, the same input through the library alone, unguarded (raw
trafilatura, raw feedparser), as the baseline. The bound checked is 10 s and 400 MB for pages
and files, 1 s of CPU for feeds.

    python bench/limits.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STORY = "".join(
    f"<p>The harbour authority said on Tuesday that strike number {n} would continue into the"
    " weekend, leaving cranes idle and a dozen ships at anchor outside the breakwater.</p>"
    for n in range(6)
)
LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
    + "]>"
)
RSS = '<rss version="2.0"><channel><title>&i;</title><item><title>x</title></item></channel></rss>'


def links_page(count: int) -> str:
    links = "".join(f'<a href="/l/{i}">link {i}</a> ' for i in range(count))
    return (
        "<html><head><title>Harbour strike goes on</title></head><body><article>"
        f"<h1>Harbour strike goes on</h1>{STORY}</article><div>{links}</div></body></html>"
    )


def paragraphs_page(count: int) -> str:
    body = "".join(
        f'<p>Paragraph {i} <a href="/{i}">with a link</a> in it.</p>' for i in range(count)
    )
    return f"<html><head><title>Long</title></head><body><article>{body}</article></body></html>"


def items_feed(count: int) -> bytes:
    items = "".join(f"<item><guid>g{i}</guid><title>Story {i}</title></item>" for i in range(count))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}'
        "</channel></rss>"
    ).encode()


RUNNER = textwrap.dedent(
    """
    import json, resource, sys, time
    kind, path, result_path = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(path, "rb").read() if kind not in ("cli",) else None
    # Imports first, outside the measured part.
    from datetime import UTC, datetime
    import feedparser, io, trafilatura
    from news.extraction import extract_article
    from news.feeds import parse_feed
    from news.errors import NewsdeskError
    from bot.cli import main
    outcome = ""
    start = time.process_time()
    try:
        if kind == "extract":
            draft = extract_article(data.decode(), url="https://news.example.com/story")
            outcome = f"story of {len(draft.body):,} characters"
        elif kind == "extract-raw":
            document = trafilatura.bare_extraction(data.decode(), url="https://x.example/story")
            outcome = f"story of {len(document.text or ''):,} characters"
        elif kind == "feed":
            feed = parse_feed(data, url="https://x.example/feed", now=datetime.now(UTC))
            outcome = f"{len(feed.entries)} entries"
        elif kind == "feed-raw":
            parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False)
            outcome = f"{len(parsed.entries)} entries"
        elif kind == "cli":
            sys.argv = ["newsdesk", "ingest", path]
            try:
                main()
            except SystemExit as exit:
                outcome = f"exit {exit.code}"
    except NewsdeskError as error:
        outcome = f"refused: {error.reason}"
    except Exception as error:
        outcome = f"{type(error).__name__}: {error}"
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"cpu": cpu, "peak": peak, "outcome": outcome}, open(result_path, "w"))
    """
)


def measure(kind: str, path: Path, workdir: Path, environment: dict[str, str]) -> dict[str, object]:
    result_path = workdir / "result.json"
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, kind, str(path), str(result_path)],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    figures: dict[str, object] = json.loads(result_path.read_text())
    stderr_lines = [line for line in completed.stderr.splitlines() if line.strip()]
    if kind == "cli":
        figures["outcome"] = f"{figures['outcome']}; stderr: {' | '.join(stderr_lines)}"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-raw", action="store_true", help="only our figures")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        }
        subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", "db", "upgrade"],
            cwd=workdir,
            env=environment,
            check=True,
            capture_output=True,
        )

        def write(name: str, content: bytes | str) -> Path:
            path = workdir / name
            path.write_bytes(content.encode() if isinstance(content, str) else content)
            return path

        big_html = workdir / "big.html"
        with big_html.open("wb") as file:
            chunk = (STORY * 40).encode()
            while file.tell() < 110_000_000:
                file.write(chunk)
        big_text = workdir / "big.txt"
        with big_text.open("wb") as file:
            line = b"The harbour authority said on Tuesday that the strike would go on.\n" * 1000
            while file.tell() < 200_000_000:
                file.write(line)
        cases = [
            ("page of 100,000 links (3.4 MB)", "extract",
             write("links.html", links_page(100_000))),
            ("page of 20,000 linked paragraphs", "extract",
             write("paras.html", paragraphs_page(20_000))),
            ("feed: comment before a billion-laughs DOCTYPE", "feed",
             write("c.xml", f'<?xml version="1.0"?><!-- <a -->{LAUGHS}{RSS}')),
            ("feed: <a before a billion-laughs DOCTYPE", "feed",
             write("a.xml", f"<a/>{LAUGHS}{RSS}")),
            ("feed: billion laughs in UTF-32", "feed",
             write("u.xml", f'<?xml version="1.0"?>{LAUGHS}{RSS}'.encode("utf-32"))),
            ("feed: 100,000 tiny items (5.2 MB)", "feed",
             write("items.xml", items_feed(100_000))),
            ("newsdesk ingest /dev/zero", "cli", Path("/dev/zero")),
            ("newsdesk ingest big.html (110 MB)", "cli", big_html),
            ("newsdesk ingest big.txt (200 MB)", "cli", big_text),
        ]  # fmt: skip
        raw = {"extract": "extract-raw", "feed": "feed-raw"}
        print(f"{'input':48} {'path':10} {'CPU s':>7} {'peak MB':>8}  outcome")
        for label, kind, path in cases:
            rows = [("newsdesk", kind)]
            if kind in raw and not arguments.skip_raw:
                rows.append(("unguarded", raw[kind]))
            for who, run_kind in rows:
                figures = measure(run_kind, path, workdir, environment)
                outcome = str(figures["outcome"])
                print(
                    f"{label if who == 'newsdesk' else '':48} {who:10} {figures['cpu']:7.2f} "
                    f"{figures['peak']:8.0f}  {outcome[:110]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
