"""`manage.py runstack`: the whole studio on one machine, as supervised child processes.

Order: database check and migrations, Kafka (the development broker unless
KAFKA_BOOTSTRAP_SERVERS is set), Redis (the machine's if it answers, else a private
one), demo data, then the Celery workers, Celery beat, the ASGI server and the example
generators. Ctrl-C or SIGTERM stops all of them; so does any one of them dying.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from studio.lib import devservices
from studio.lib.devservices import DevServiceError, ServiceHandle
from studio.ops import services
from studio.ops.supervisor import ChildFailed, Supervisor

PREFERRED_BROKER_PORT = 9092
_CREDENTIALS = re.compile(r"user:\s*(\S+)\s+password:\s*(.+)$")
MACHINE_REDIS_URL = "redis://127.0.0.1:6379/0"


class StartupError(Exception):
    """Stops the start-up with one line for the user (no traceback)."""


class Command(BaseCommand):
    help = "Run the broker, Redis, Celery workers and beat, the web server and example generators; Ctrl-C stops all."

    _listener: socket.socket | None = None  # the web port, shared by the daphne processes

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("RIFFLE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RIFFLE_PORT", "8000")), help="web server port (env RIFFLE_PORT)")
        parser.add_argument("--broker-port", type=int, default=None, help="development broker port (default 9092 if free, else any free port)")
        parser.add_argument("--no-generator", action="store_true", help="do not produce example records")
        parser.add_argument("--generator-rate", type=float, default=5.0, help="records per second per example")
        parser.add_argument("--state-dir", default=None, help="where Celery beat keeps its schedule (default var/)")
        parser.add_argument("--stop-timeout", type=float, default=10.0, help="seconds a child gets between SIGTERM and SIGKILL")
        parser.add_argument(
            "--web-processes", type=int, default=int(os.environ.get("RIFFLE_WEB_PROCESSES", "2")),
            help="daphne processes sharing the web port (env RIFFLE_WEB_PROCESSES; default 2)")
        parser.add_argument("--ready-timeout", type=float, default=120.0, help="seconds to wait for /healthz after start")

    def handle(self, *args: Any, **options: Any) -> None:
        supervisor = Supervisor(sys.stdout, stop_timeout=options["stop_timeout"])
        supervisor.install_signal_handlers()
        handles: list[ServiceHandle] = []
        failure: str | None = None
        try:
            self._run(supervisor, handles, options)
        except StartupError as exc:
            failure = str(exc)
        except DevServiceError as exc:
            failure = " ".join(str(exc).split("\n--- last output ---")[0].split())
        except ChildFailed as exc:
            failure = f"{exc.child.name} exited unexpectedly with code {exc.code}; stopping everything"
        finally:
            if failure is not None:
                supervisor.say(failure)
            supervisor.stop_all()
            if self._listener is not None:
                self._listener.close()
            for handle in handles:
                handle.stop(timeout=1.0)
        if failure is not None:
            raise CommandError(failure)
        if supervisor.signal_name:
            supervisor.say(f"stopped on {supervisor.signal_name}")

    # -- the sequence ---------------------------------------------------------------

    def _run(self, supervisor: Supervisor, handles: list[ServiceHandle], options: dict[str, Any]) -> None:
        host, port = options["host"], options["port"]
        base_dir = Path(getattr(settings, "BASE_DIR", Path.cwd()))
        state_dir = Path(options["state_dir"]) if options["state_dir"] else base_dir / "var"
        state_dir.mkdir(parents=True, exist_ok=True)
        if not devservices.port_is_free(port, host):
            raise StartupError(f"port {port} on {host} is taken; stop what uses it or set RIFFLE_PORT (or --port)")

        self._prepare_database(supervisor)
        if supervisor.stop_requested:
            return

        bootstrap = self._kafka(supervisor, handles, options["broker_port"])
        redis_url = self._redis(supervisor, handles)
        if supervisor.stop_requested:
            return

        env = dict(os.environ)
        env.update(KAFKA_BOOTSTRAP_SERVERS=bootstrap, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
        # PostgreSQL connections are pooled in the web processes only (studio/settings.py):
        # the workers' prefork children must not inherit a pool's threads.
        web_pool = env.pop("RIFFLE_DATABASE_POOL_MAX", "16")
        python = sys.executable
        manage = str(base_dir / "manage.py")

        url = f"http://{host}:{port}/"
        seeded: list[str] = []
        code = supervisor.run_to_completion(
            "bootstrap", [python, manage, "bootstrap_demo", "--url", url], env=env, timeout=120, capture=seeded
        )
        if supervisor.stop_requested:
            return
        if code != 0:
            raise StartupError(f"manage.py bootstrap_demo failed with exit code {code} (its output is above)")

        celery = [python, "-m", "celery", "-A", "studio"]
        quiet = ["--without-gossip", "--without-mingle", "--loglevel", "INFO"]
        cwd = str(base_dir)
        supervisor.start("replicas", [*celery, "worker", "-Q", "replicas", "--concurrency", "4", "-n", "replicas@%h", *quiet], env=env, cwd=cwd)
        supervisor.start("worker", [*celery, "worker", "-Q", "celery", "--concurrency", "2", "-n", "default@%h", *quiet], env=env, cwd=cwd)
        supervisor.start("beat", [*celery, "beat", "--schedule", str(state_dir / "celerybeat-schedule"), "--loglevel", "INFO"], env=env, cwd=cwd)
        self._start_web(supervisor, host, port, options["web_processes"],
                        env={**env, "RIFFLE_DATABASE_POOL_MAX": web_pool}, cwd=cwd)
        if not options["no_generator"]:
            rate = f"{options['generator_rate']:g}"
            supervisor.start("generator", [python, manage, "generate_examples", "--rate", rate], env=env, cwd=cwd)

        if self._wait_healthy(supervisor, f"{url}healthz", options["ready_timeout"]):
            supervisor.say("")
            supervisor.say(f"Riffle is running at {url}")
            supervisor.say(demo_login(seeded))
            supervisor.say(f"Kafka {bootstrap} · Redis {devservices.redact_url(redis_url)} · Ctrl-C stops everything")
            supervisor.say("")
        supervisor.wait()

    def _start_web(self, supervisor: Supervisor, host: str, port: int, processes: int, *,
                   env: dict[str, str], cwd: str) -> None:
        """daphne processes that all accept on one listening socket, made here and
        inherited: the kernel hands each connection to one of them. In one process, HTTP
        requests and websocket frames share an event loop and the GIL, and a burst of
        dashboard frames held API requests up (tests/studio/ops/test_load.py, 200
        dashboards plus 50 requests/s, when it was measured: HTTP p99 about 1 s with one
        process, 150 ms with two; docs/internals.md, "Serving", has later figures)."""
        if processes < 1:
            raise StartupError(f"--web-processes must be at least 1, not {processes}")
        app = "studio.asgi:application"
        if ":" in host:
            # daphne adopts inherited sockets as IPv4 only.
            supervisor.say(f"one web process: an IPv6 address ({host}) cannot be shared by several")
            supervisor.start("web", [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), app], env=env, cwd=cwd)
            return
        try:
            self._listener = socket.create_server((host, port), backlog=1024)
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port}: {exc}") from exc
        fd = self._listener.fileno()
        for n in range(1, processes + 1):
            supervisor.start("web" if n == 1 else f"web-{n}", [sys.executable, "-m", "daphne", "--fd", str(fd), app],
                             env=env, cwd=cwd, pass_fds=(fd,))

    # -- the database ---------------------------------------------------------------

    def _prepare_database(self, supervisor: Supervisor) -> None:
        connection = connections["default"]
        if connection.vendor == "postgresql":
            # libpq waits forever for an unanswered SYN; a start-up check must not.
            connection.settings_dict.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
        probe = services.probe_database()
        if not probe.ok:
            raise StartupError(f"{probe.detail} (set {services.database_setting_hint()})")
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except Exception as exc:  # noqa: BLE001 - any failure here is reported as one line
            raise StartupError(f"migrations failed on {probe.detail}: {services.one_line(exc)}") from exc
        supervisor.say(f"database: {probe.detail} (migrations applied)")
        connection.close()

    # -- Kafka and Redis ------------------------------------------------------------

    def _kafka(self, supervisor: Supervisor, handles: list[ServiceHandle], broker_port: int | None) -> str:
        configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if configured:
            probe = devservices.probe_kafka(configured, timeout=5.0)
            if not probe.ok:
                raise StartupError(f"{probe.detail} (set KAFKA_BOOTSTRAP_SERVERS, or unset it to use the development broker)")
            supervisor.say(f"Kafka: {configured} (KAFKA_BOOTSTRAP_SERVERS)")
            return configured
        if broker_port is None:
            broker_port = PREFERRED_BROKER_PORT if devservices.port_is_free(PREFERRED_BROKER_PORT) else devservices.free_port()
        handle = devservices.start_broker(broker_port, output=subprocess.PIPE)
        handles.append(handle)
        supervisor.adopt(handle)
        supervisor.say(f"Kafka: development broker (Tansu, memory storage) at {handle.bootstrap}")
        return handle.bootstrap

    def _redis(self, supervisor: Supervisor, handles: list[ServiceHandle]) -> str:
        configured = os.environ.get("REDIS_URL")
        if configured:
            probe = devservices.probe_redis(configured, timeout=2.0)
            if not probe.ok:
                raise StartupError(f"{probe.detail} (set REDIS_URL, or unset it to use 127.0.0.1:6379 or a private redis-server)")
            supervisor.say(f"Redis: {devservices.redact_url(configured)} (REDIS_URL)")
            return configured
        if devservices.redis_answers(MACHINE_REDIS_URL):
            supervisor.say(f"Redis: the machine's, {MACHINE_REDIS_URL}")
            return MACHINE_REDIS_URL
        handle = devservices.start_redis(output=subprocess.PIPE)
        handles.append(handle)
        supervisor.adopt(handle)
        supervisor.say(f"Redis: private redis-server at {handle.url} (nothing kept on disk)")
        return handle.url

    # -- readiness ------------------------------------------------------------------

    def _wait_healthy(self, supervisor: Supervisor, url: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline and not supervisor.stop_requested:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # nosec B310  # our http://host:port/healthz
                    if response.status == 200:
                        return True
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:300]}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            supervisor.sleep(0.5)
        if not supervisor.stop_requested:
            supervisor.say(f"warning: {url} not healthy after {timeout:.0f} s ({last}); still running")
        return False


def demo_login(seed_output: list[str]) -> str:
    """The login line, from what bootstrap_demo printed ("  user: demo   password: ...")."""
    for line in seed_output:
        found = _CREDENTIALS.search(line)
        if found:
            return f"log in as {found.group(1)} / {found.group(2).strip()}"
    return "log in with the demo user (bootstrap_demo's output above has the details)"
