"""Run a set of child processes as one unit: prefixed output, all or nothing.

Each child runs in its own process group (so a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in order, and stopping a child reaches the
processes it forked). If a child dies on its own, the whole set is stopped and the
supervisor reports which child and how.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Sequence

from studio.lib.devservices import ServiceHandle, group_alive, spawn

logger = logging.getLogger(__name__)

_COLOURS = ("36", "33", "35", "32", "34", "31", "96", "93", "95")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    # Services (broker, Redis) stop after the programs that use them.
    stop_last: bool = False
    pump: threading.Thread | None = field(default=None, repr=False)


class ChildFailed(Exception):
    def __init__(self, child: Child, code: int | None) -> None:
        super().__init__(f"{child.name} exited unexpectedly with code {code}")
        self.child = child
        self.code = code


class Supervisor:
    def __init__(self, out: IO[str] | None = None, *, stop_timeout: float = 10.0) -> None:
        self.out = out if out is not None else sys.stdout
        self.stop_timeout = stop_timeout
        self.children: list[Child] = []
        self._lock = threading.Lock()
        self._stop_requested = threading.Event()
        self._signal_name: str | None = None
        self._width = 9
        self._colour = bool(getattr(self.out, "isatty", lambda: False)())

    # -- output ---------------------------------------------------------------------

    def say(self, message: str) -> None:
        self._write("runstack", message)

    def _write(self, name: str, line: str) -> None:
        label = name.ljust(self._width)
        if self._colour:
            colour = _COLOURS[sum(map(ord, name)) % len(_COLOURS)]
            label = f"\033[{colour}m{label}\033[0m"
        with self._lock:
            self.out.write(f"{label} | {line}\n")
            self.out.flush()

    def _pump(self, name: str, stream: IO[bytes], capture: list[str] | None = None) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\r\n")
            if capture is not None:
                capture.append(line)
            self._write(name, line)
        stream.close()

    def _attach(self, child: Child) -> Child:
        self._width = max(self._width, len(child.name))
        if child.process.stdout is not None:
            child.pump = threading.Thread(
                target=self._pump, args=(child.name, child.process.stdout), name=f"pump-{child.name}", daemon=True
            )
            child.pump.start()
        self.children.append(child)
        return child

    # -- children -------------------------------------------------------------------

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str], cwd: str | None = None,
              pass_fds: Sequence[int] = ()) -> Child:
        process = spawn(argv, output=subprocess.PIPE, env=env, cwd=cwd, pass_fds=pass_fds)
        self.say(f"started {name} (pid {process.pid}): {' '.join(argv)}")
        return self._attach(Child(name, process))

    def adopt(self, handle: ServiceHandle) -> Child:
        """Supervise a service started elsewhere with output=subprocess.PIPE."""
        return self._attach(Child(handle.name, handle.process, stop_last=True))

    def run_to_completion(
        self, name: str, argv: Sequence[str], *, env: dict[str, str], timeout: float, capture: list[str] | None = None
    ) -> int:
        """Run a one-off step (seeding, say) with prefixed output; watch the others meanwhile.

        Its output lines are also appended to `capture` when given.
        """
        process = spawn(argv, output=subprocess.PIPE, env=env)
        child = Child(name, process)
        self._width = max(self._width, len(name))
        assert process.stdout is not None
        pump = threading.Thread(target=self._pump, args=(name, process.stdout, capture), daemon=True)
        pump.start()
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None:
                self.check()
                if self._stop_requested.is_set():
                    self._stop_one(child, self.stop_timeout)
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not finish within {timeout:.0f} s")
                time.sleep(0.1)
        except BaseException:
            self._stop_one(child, self.stop_timeout)
            raise
        pump.join(timeout=5)
        return process.returncode

    # -- signals and watching -------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._stop_requested.is_set():
            # A second Ctrl-C while stopping: no more waiting.
            self.stop_timeout = 0.0
            for child in self.children:
                if group_alive(child.process.pid):
                    try:
                        os.killpg(child.process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            return
        self._signal_name = signal.Signals(signum).name
        self._stop_requested.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested.is_set()

    @property
    def signal_name(self) -> str | None:
        return self._signal_name

    def check(self) -> None:
        """Raise ChildFailed if any supervised child has exited; KeyboardInterrupt-free."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise ChildFailed(child, code)

    def wait(self, interval: float = 0.2) -> None:
        """Block until a stop is requested (returns) or a child dies (raises ChildFailed)."""
        while not self._stop_requested.wait(interval):
            self.check()

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake for a stop request and raise for a dead child."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested.is_set() and time.monotonic() < deadline:
            self.check()
            self._stop_requested.wait(min(0.1, max(0.0, deadline - time.monotonic())))

    # -- stopping -------------------------------------------------------------------

    def _stop_one(self, child: Child, timeout: float) -> None:
        self._stop_group([child], timeout)

    def _stop_group(self, children: list[Child], timeout: float) -> None:
        # Signal all first, then wait against one deadline: stopping N children takes
        # as long as the slowest, not the sum.
        for child in children:
            try:
                os.killpg(child.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for child in children:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                pass
        while time.monotonic() < deadline and any(group_alive(c.process.pid) for c in children):
            time.sleep(0.05)
        for child in children:
            if group_alive(child.process.pid):
                self.say(f"{child.name} did not stop within {timeout:.0f} s; killing it")
                try:
                    os.killpg(child.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for child in children:
            child.process.wait()
            kill_deadline = time.monotonic() + 5.0
            while group_alive(child.process.pid) and time.monotonic() < kill_deadline:
                time.sleep(0.05)
            if child.pump is not None:
                child.pump.join(timeout=2)

    def stop_all(self) -> None:
        programs = [c for c in self.children if not c.stop_last]
        services = [c for c in self.children if c.stop_last]
        if programs:
            self.say("stopping " + ", ".join(c.name for c in programs))
            self._stop_group(programs, self.stop_timeout)
        if services:
            self.say("stopping " + ", ".join(c.name for c in services))
            self._stop_group(services, self.stop_timeout)
        self.say("all stopped")
