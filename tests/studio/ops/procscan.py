"""Who is alive, read straight from /proc (no psutil): for no-orphan assertions."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    command: str


def read_proc(pid: int) -> ProcInfo | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    command = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    state, ppid, pgid, sid = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    return ProcInfo(pid, ppid, pgid, sid, state, command)


def rss_kib(pid: int) -> int:
    """Resident memory of `pid`, KiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` so far."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        fields = handle.read().decode(errors="replace").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def all_processes() -> list[ProcInfo]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = read_proc(int(entry))
            if info is not None:
                found.append(info)
    return found


def cmdline(pid: int) -> list[str]:
    """The arguments `pid` was started with; [] once it has gone (or for a kernel thread)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-quantile of `values`; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def is_alive(info: ProcInfo) -> bool:
    return info.state not in ("Z", "X")


def descendants(root: int) -> list[ProcInfo]:
    """Every live process below `root` in the parent tree (not `root` itself)."""
    by_parent: dict[int, list[ProcInfo]] = {}
    for info in all_processes():
        by_parent.setdefault(info.ppid, []).append(info)
    result: list[ProcInfo] = []
    stack = [root]
    while stack:
        for child in by_parent.get(stack.pop(), []):
            if is_alive(child):
                result.append(child)
                stack.append(child.pid)
    return result


def survivors(pids: set[int], sessions: set[int]) -> list[ProcInfo]:
    """Live processes that are one of `pids` or belong to one of `sessions`."""
    return [info for info in all_processes() if is_alive(info) and (info.pid in pids or info.sid in sessions)]
