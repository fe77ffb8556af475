"""Word count throughput: the engine as a library against the same word count deployed
through the studio, side by side in one run, measured the same way.

Variants, each a fresh application (its own consumer group and output topic) over the one
input topic that holds the backlog (2 partitions, as the stream load suite's deployment):

  library            bench/riffle_worker.py wordcount: the DSL with Python functions
  document           the studio's word count example compiled from its topology document
                     by runtime.spec: sandboxed expressions instead of Python functions
  document+features  the same, plus what a deployed replica turns on in the engine:
                     Redis checkpoints, metrics snapshots, record samples, the CPU limit
  deployed           the same document deployed on `manage.py runstack`: a Celery worker
                     runs the replica, which publishes metrics and samples to Redis; the
                     web server, the reconciler and beat run beside it

Each drains the same backlog and is measured as the stream load suite measures its
maximum (tests/studio/ops/grouplag.measure_drain): lines committed on the input topic from
the first commit until nothing is left on the input and repartition topics, read from the
broker. CPU seconds are those of the processes running the application over that time
(the worker process; for `deployed` the Celery processes, and apart the busiest of them:
the pool process running the replica), per 100,000 lines.

    .venv/bin/python bench/deployed_compare.py [--lines 300000] [--rounds 1]

Starts its own development broker (or takes --bootstrap) and uses database 12 of the
Redis at REDIS_URL (default redis://127.0.0.1:6379), which it empties first. The studio
runs on a SQLite file in a temporary directory. Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
import redis  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from riffle_worker import example_data  # noqa: E402
from studio.lib.devservices import free_port  # noqa: E402
from tests.studio.lines import make_lines, produce  # noqa: E402
from tests.studio.ops.grouplag import Drain, GroupLag, measure_drain  # noqa: E402
from tests.studio.ops.procscan import cmdline, cpu_seconds, descendants  # noqa: E402
from tests.studio.ops.runstack_process import CREATE, Stack, manage_shell, stack_environment, with_db  # noqa: E402

PARTITIONS = 2
REDIS_DB = 12
VARIANTS = ("library", "document", "document+features", "deployed")


@dataclass(frozen=True)
class Result:
    variant: str
    round: int
    drain: Drain
    cpu_s: dict[int, float]     # by process

    @property
    def cpu_per_100k(self) -> float:
        return self.per_100k(sum(self.cpu_s.values()))

    @property
    def busiest_per_100k(self) -> float:
        """The process that ran the application (its stream thread), leaving out the
        rest of the Celery processes."""
        return self.per_100k(max(self.cpu_s.values(), default=0.0))

    def per_100k(self, seconds: float) -> float:
        return seconds / (self.drain.backlog - self.drain.first_done) * 100_000


class Runner:
    """Starts the variants one at a time over the shared backlog."""

    def __init__(self, bootstrap: str, redis_url: str, lines_topic: str, lines: int, workdir: Path) -> None:
        self.bootstrap, self.redis_url, self.lines_topic, self.lines = bootstrap, redis_url, lines_topic, lines
        self.workdir = workdir
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def run(self, variant: str, round_: int) -> Result:
        app_id = f"bench-{variant.replace('+', '-')}-{uuid.uuid4().hex[:8]}"
        output = create_topic(self.admin, f"{app_id}-counts")
        state_dir = self.workdir / app_id
        state_dir.mkdir()
        if variant == "deployed":
            return self._deployed(app_id, output, state_dir, round_)
        workload = "wordcount" if variant == "library" else "wordcount-document"
        command = [sys.executable, str(HERE / "riffle_worker.py"), workload, "--bootstrap", self.bootstrap,
                   "--app-id", app_id, "--input", self.lines_topic, "--output", output,
                   "--state-dir", str(state_dir)]
        if variant == "document+features":
            command += ["--riffle-features", self.redis_url]
        with open(state_dir / "worker.log", "w") as log:
            worker = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

        def alive() -> None:
            if worker.poll() is not None:
                raise RuntimeError(f"{variant} exited with {worker.returncode}; see {state_dir / 'worker.log'}")

        try:
            drain, cpu = self._measure(app_id, lambda: [worker.pid], alive)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        return Result(variant, round_, drain, cpu)

    def _deployed(self, app_id: str, output: str, state_dir: Path, round_: int) -> Result:
        env = stack_environment(state_dir)
        env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
        env["REDIS_URL"] = self.redis_url
        stack = Stack(["--port", str(free_port()), "--no-generator", "--state-dir", str(state_dir)], env)
        try:
            stack.wait_ready(240)
            document = example_data("wordcount", self.lines_topic, output)
            manage_shell(env, CREATE, DRILL_APP=app_id, DRILL_REPLICAS="1", DRILL_DOCUMENT=json.dumps(document))

            def celery() -> list[int]:
                return [info.pid for info in descendants(stack.process.pid)
                        if any("celery" in arg for arg in cmdline(info.pid))]

            def alive() -> None:
                if stack.process.poll() is not None:
                    raise RuntimeError(f"runstack exited with {stack.process.returncode}:\n{stack.output[-3000:]}")

            drain, cpu = self._measure(app_id, celery, alive)
        finally:
            stack.kill()
        return Result("deployed", round_, drain, cpu)

    def _measure(self, app_id: str, pids: Callable[[], list[int]], alive: Callable[[], None],
                 ) -> tuple[Drain, dict[int, float]]:
        lag = GroupLag(self.bootstrap, app_id, self.lines_topic)
        before: dict[int, float] = {}
        try:
            drain = measure_drain(lag, self.lines, check=alive,
                                  at_first_commit=lambda: before.update(cpu_of(pids())))
            after = cpu_of(pids())
        finally:
            lag.close()
        if drain.first_done * 2 > drain.backlog:
            raise SystemExit(f"{app_id}'s first commit already covered {drain.first_done:,} of the "
                             f"{drain.backlog:,} lines, too few to measure: give more --lines")
        # A process that started after the first commit counts from 0.
        return drain, {pid: spent - before.get(pid, 0.0) for pid, spent in after.items()}


def cpu_of(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def create_topic(admin: AdminClient, name: str) -> str:
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)
    return name


def summary(results: list[Result]) -> str:
    rows = ["", f"{'variant':<18} {'lines/s (median)':>17} {'runs':>28} {'CPU s / 100k lines':>19} "
            f"{'busiest process':>16} {'vs library':>11}"]
    by_round = {r.round: {x.variant: x for x in results if x.round == r.round} for r in results}
    for variant in VARIANTS:
        mine = [r for r in results if r.variant == variant]
        if not mine:
            continue
        ratios = [rnd[variant].drain.rate / rnd["library"].drain.rate
                  for rnd in by_round.values() if variant in rnd and "library" in rnd]
        rows.append(
            f"{variant:<18} {statistics.median(r.drain.rate for r in mine):>17,.0f} "
            f"{' '.join(f'{r.drain.rate:,.0f}' for r in mine):>28} "
            f"{statistics.median(r.cpu_per_100k for r in mine):>19.1f} "
            f"{statistics.median(r.busiest_per_100k for r in mine):>16.1f} "
            f"{statistics.median(ratios) if ratios else float('nan'):>10.2f}x")
    rows.append("(vs library: the median over rounds of the ratio within a round)")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300_000, help="lines in the backlog")
    parser.add_argument("--rounds", type=int, default=1, help="times to run every variant (order rotated)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="a comma-separated subset")
    parser.add_argument("--bootstrap", help="an existing broker (default: start the development broker)")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")

    redis_url = with_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"), REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    handle = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        from studio.lib import devservices

        handle = devservices.start_broker()
        bootstrap = handle.bootstrap
    try:
        with tempfile.TemporaryDirectory(prefix="riffle-deployed-compare-") as workdir:
            admin = AdminClient({"bootstrap.servers": bootstrap})
            lines_topic = create_topic(admin, f"bench-lines-{uuid.uuid4().hex[:8]}")
            backlog = make_lines(random.Random(11), args.lines)
            for first in range(0, args.lines, 50_000):     # the producer's queue holds 100,000
                produce(bootstrap, lines_topic, backlog[first:first + 50_000], first)
            print(f"broker {bootstrap}; {args.lines:,} lines on {PARTITIONS} partitions; "
                  f"{args.rounds} round(s) of {', '.join(variants)}", flush=True)
            runner = Runner(bootstrap, redis_url, lines_topic, args.lines, Path(workdir))
            results: list[Result] = []
            for round_ in range(args.rounds):
                shift = round_ % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    result = runner.run(variant, round_)
                    results.append(result)
                    print(f"round {round_ + 1} {variant:<18} {result.drain.rate:>9,.0f} lines/s "
                          f"({result.drain.backlog - result.drain.first_done:,} lines in "
                          f"{result.drain.seconds:.1f} s after the first commit), "
                          f"CPU {sum(result.cpu_s.values()):.1f} s in {len(result.cpu_s)} process(es) "
                          f"({result.cpu_per_100k:.1f} s per 100k lines; the busiest "
                          f"{result.busiest_per_100k:.1f} s)", flush=True)
            print(summary(results), flush=True)
            del runner, admin   # their clients go before the broker does
    finally:
        if handle is not None:
            handle.stop()


if __name__ == "__main__":
    main()
