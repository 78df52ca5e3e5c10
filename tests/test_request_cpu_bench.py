"""The CPU-per-request benchmark, run small through its real subprocess on SQLite.

``bench/request_cpu.py`` seeds an archive and sends signed requests of every kind to the
WSGI app in a subprocess; a request the app refuses (a bad signature, a job that was not
queued) fails the run. Here it runs with a handful of stories and requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from bench.request_cpu import KINDS, ROOT, _environ, load_mix_cost, measure_tree, table

pytestmark = pytest.mark.slow


def test_requests_are_signed_as_slack_signs_them() -> None:
    environ = _environ(b'{"a": 1}', "application/json", "secret", "/slack/events")
    verifier = SignatureVerifier("secret")
    assert verifier.is_valid(
        body='{"a": 1}',
        timestamp=environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"],
        signature=environ["HTTP_X_SLACK_SIGNATURE"],
    )


def test_every_kind_is_measured_on_a_small_archive(tmp_path: Path) -> None:
    result = measure_tree(
        ROOT, "sqlite", stories=4, published=2, rounds=1, requests=2, directory=tmp_path
    )
    for kind in KINDS:
        rows = result["results"][kind]
        assert len(rows) == 2  # the warm-up round and one counted round
        assert rows[1]["web"] > 0
    assert set(result["answers"]) == {"latest harbour", "latest Ukraine"}
    lines = table({("this tree", "sqlite"): result}, ["sqlite"], list(KINDS))
    assert len(lines) == 2 + len(KINDS) + 1  # and the cost in bench.load's mix


def test_the_load_mix_weighs_each_kind_by_its_share() -> None:
    row = {"web": 1.0, "worker": 0.0, "db_web": 0.0, "db_worker": 0.0}
    rows = {kind: [row, row] for kind in KINDS}  # every kind costs 1 ms
    assert load_mix_cost(rows) == pytest.approx(1.0)
    assert load_mix_cost({**rows, "publish": []}) is None
