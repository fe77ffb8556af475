"""``python -m runtime run``: load a topology, run it with ``StreamsApp`` until SIGTERM
or SIGINT, then close cleanly (finish the batch under way, commit, close the clients)."""

from __future__ import annotations

import importlib
import json
import logging
import signal
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runtime.errors import ConfigError

__all__ = ["load_properties", "load_topology", "run_until_signalled"]

logger = logging.getLogger(__name__)


def load_properties(text: str) -> dict[str, str]:
    """A Java ``.properties`` file: ``key=value``, ``key: value`` or ``key value``;
    ``#``/``!`` comments; a trailing backslash continues a line."""
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.lstrip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        for i, char in enumerate(line):
            if char in "=: \t":
                key, rest = line[:i], line[i + 1:].lstrip()
                if char in " \t" and rest[:1] in ("=", ":"):
                    rest = rest[1:].lstrip()
                break
        else:
            key, rest = line, ""
        out[key.strip()] = rest.rstrip()
    if pending:
        out.setdefault(pending.strip(), "")
    return out


def load_topology(target: str) -> Any:
    """``module:attribute`` (a Topology, or a zero-argument callable returning one) or
    the path of a topology document (``.json``), compiled with ``runtime.spec``."""
    from runtime.topology import Topology

    if target.endswith(".json") or (":" not in target and Path(target).is_file()):
        from runtime.spec import compile_document, load_document

        with open(target, encoding="utf-8") as handle:
            return compile_document(load_document(json.load(handle)))
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(f"expected module:attribute or a document .json, got {target!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, Topology) and callable(obj):
        obj = obj()
    if not isinstance(obj, Topology):
        raise ConfigError(f"{target} is a {type(obj).__name__}, not a Topology "
                          "(or a zero-argument callable returning one)")
    return obj


def run_until_signalled(topology: Any, config: Mapping[str, Any], *, close_timeout: float = 60.0,
                        signals: Sequence[int] = (signal.SIGTERM, signal.SIGINT)) -> int:
    """Run until one of ``signals`` arrives or the app fails. Returns the exit code:
    0 after a clean close, 1 when the app failed or did not stop in time.

    Must be called from the main thread (Python delivers signals there). As the owner
    of the process, it applies ``riffle.process.memory.limit.mb`` to it first (after
    the topology is loaded, so the check against what is in use is meaningful)."""
    from runtime.app import AppState, StreamsApp
    from runtime.exec.engine_config import EngineConfig
    from runtime.exec.limits import apply_memory_limit

    memory_limit_mb = EngineConfig.from_mapping(config).memory_limit_mb
    if memory_limit_mb:
        apply_memory_limit(memory_limit_mb)

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in signals}
    app = StreamsApp(topology, config)
    try:
        app.start()
        logger.info("%s: started; SIGTERM or SIGINT stops it", app.application_id)
        while not stop.wait(0.5):
            if app.state == AppState.ERROR:
                break
        if received:
            logger.info("%s: %s received, closing", app.application_id, signal.Signals(received[0]).name)
    finally:
        closed = app.close(close_timeout)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if app.error is not None:
        logger.error("%s stopped with an error: %s", app.application_id, app.error)
        return 1
    return 0 if closed else 1
