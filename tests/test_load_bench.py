"""The load benchmark's exactly-once checks, on a small run through real processes.

``bench/load.py`` starts ``newsdesk serve`` and workers, sends signed events, slash commands
and publish webhooks from concurrent clients, lets the queue drain and counts, in the Slack
stand-in, every card reply and alert. Here it runs small and short on each engine so that
the counting itself is tested, and a lost or doubled reply fails the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import measure

pytestmark = pytest.mark.slow

# More publishes than the benchmark's mix, so that a short run has alerts to count.
MIX = {"link": 0.3, "plain": 0.2, "mention": 0.15, "command": 0.15, "publish": 0.2}


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_every_acknowledged_link_and_story_is_handled_exactly_once(
    engine_name: str, tmp_path: Path
) -> None:
    run = measure(engine_name, 20, clients=10, seconds=3, drain=120, directory=tmp_path, mix=MIX)
    assert not run.errors
    assert [s for s in run.samples if s.status not in (200, 202)] == []
    assert run.drained
    assert run.links, "the run shared no link"
    assert run.stories, "the run sent no publish webhook"
    assert (run.lost_replies, run.duplicate_replies) == (0, 0)
    assert (run.lost_stories, run.lost_alerts, run.duplicate_alerts) == (0, 0, 0)
    assert set(run.jobs_by_state) == {"done"}
