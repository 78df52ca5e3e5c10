"""The load benchmark's exactly-once checks, on a small run through real processes.

``bench/load.py`` starts ``newsdesk serve`` and workers, sends signed events, slash commands
and publish webhooks from concurrent clients, lets the queue drain and counts, in the Slack
stand-in, every card reply and alert. Here it runs small and short on each engine so that
the counting itself is tested, and a lost or doubled reply fails the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import ROLES, cpu_table, measure

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
    # CPU until the work was drained counts at least what the sending window did in the
    # run's own processes (PostgreSQL's is read off every backend, and one that ends takes
    # its share with it), and its table gives the cost of a request in all.
    assert set(run.cpu_drained) == set(run.cpu) == set(ROLES)
    assert all(run.cpu_drained[role] >= run.cpu[role] for role in ("web", "workers"))
    total = 1000 * sum(run.cpu_drained.values()) / len(run.samples)
    assert cpu_table([run], drained=True)[-1].endswith(f"| {total:.2f} |")
