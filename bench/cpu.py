"""CPU seconds of process trees, read from /proc (Linux), for the benchmarks' CPU tables."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[int, str, float, float]]:
    """pid → (parent pid, command name, own CPU s, reaped children's CPU s)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[1] is the parent; 11..14 are utime, stime, cutime, cstime (proc(5) 14..17).
        own = (int(fields[11]) + int(fields[12])) / TICKS
        reaped = (int(fields[13]) + int(fields[14])) / TICKS
        table[int(entry.name)] = (int(fields[1]), name, own, reaped)
    return table


def tree_cpu(root: int, table: dict[int, tuple[int, str, float, float]] | None = None) -> float:
    """CPU seconds of ``root``, its live descendants and the children they have reaped."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, row in table.items():
        children.setdefault(row[0], []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][2] + table[pid][3]
            stack.extend(children.get(pid, ()))
    return total


def postgres_cpu(table: dict[int, tuple[int, str, float, float]] | None = None) -> float:
    """CPU seconds of the local PostgreSQL server: every postmaster's tree."""
    table = process_table() if table is None else table
    postmasters = [
        pid
        for pid, (parent, name, _, _) in table.items()
        if name == "postgres" and table.get(parent, (0, ""))[1] != "postgres"
    ]
    return sum(tree_cpu(pid, table) for pid in postmasters)
