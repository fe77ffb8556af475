"""Standby placement (num.standby.replicas): Kafka Streams' rules that the assignor
keeps - a task's standbys never share an instance with its active task nor with each
other, and each task gets min(replicas, instances - 1) of them (StreamsConfig
num.standby.replicas docs; HighAvailabilityTaskAssignor/StandbyTaskAssignor) - plus
ours: every instance computes the same answer, and an instance leaving moves only the
standbys it held."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from runtime.exec.standby import place_standbys

TASKS = [f"{sub}_{p}" for sub in range(3) for p in range(8)]


def _owners(instances: list[str], seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    return {t: rng.choice(instances) for t in TASKS}


def _standbys_of(placement: dict[str, set[str]]) -> dict[str, list[str]]:
    by_task: dict[str, list[str]] = {}
    for instance, tasks in placement.items():
        for task in tasks:
            by_task.setdefault(task, []).append(instance)
    return by_task


@pytest.mark.parametrize(("instances", "replicas"), [(2, 1), (3, 1), (4, 2), (3, 5), (1, 1)])
def test_every_task_gets_its_standbys_away_from_its_active_task(instances: int, replicas: int) -> None:
    members = [f"i{n}" for n in range(instances)]
    owners = _owners(members)
    by_task = _standbys_of(place_standbys(TASKS, owners, members, replicas))
    for task in TASKS:
        hosts = by_task.get(task, [])
        assert len(hosts) == min(replicas, instances - 1), (task, hosts)
        assert owners[task] not in hosts
        assert len(set(hosts)) == len(hosts)


def test_every_instance_computes_the_same_placement() -> None:
    members = ["a", "b", "c", "d"]
    owners = _owners(members, seed=3)
    first = place_standbys(TASKS, owners, members, 1)
    shuffled_tasks = list(reversed(TASKS))
    again = place_standbys(shuffled_tasks, dict(reversed(list(owners.items()))), list(reversed(members)), 1)
    assert first == again


def test_a_task_without_a_running_owner_still_gets_standbys() -> None:
    placement = place_standbys(["0_0"], {}, ["a", "b", "c"], 2)
    assert sum("0_0" in tasks for tasks in placement.values()) == 2


def test_an_instance_leaving_moves_only_the_standbys_it_held() -> None:
    members = ["a", "b", "c", "d", "e"]
    owners = {t: "a" for t in TASKS}   # 'a' runs everything; standbys spread over b..e
    before = _standbys_of(place_standbys(TASKS, owners, members, 1))
    after = _standbys_of(place_standbys(TASKS, owners, [m for m in members if m != "e"], 1))
    for task in TASKS:
        if before[task] != ["e"]:
            assert after[task] == before[task], task


def test_standbys_spread_over_the_instances() -> None:
    members = [f"i{n}" for n in range(4)]
    tasks = [f"0_{p}" for p in range(200)]
    owners = {t: members[i % 4] for i, t in enumerate(tasks)}
    load = Counter({m: len(ts) for m, ts in place_standbys(tasks, owners, members, 1).items()})
    assert sum(load.values()) == 200
    # rendezvous hashing: about 50 each; a broken rank (e.g. always the first
    # candidate) would put 100+ on one instance
    assert max(load.values()) < 80, load


def test_no_replicas_no_standbys() -> None:
    assert place_standbys(TASKS, {}, ["a", "b"], 0) == {"a": set(), "b": set()}
