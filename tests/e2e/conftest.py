"""The whole studio, started by `manage.py runstack`, and a Chromium page to drive it.

`live_stack` runs runstack on a free port against the session's broker and Redis, with
a database of its own (a temp SQLite file, or a fresh PostgreSQL database on the server
DATABASE_URL names) and no example generator, so that the only records are the test's.

Browser tests use Debian's /usr/bin/chromium through Playwright; no browser is ever
downloaded. Screenshots and, on failure, the browser console and the stack's output go
to test-artifacts/<test name>/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from studio.lib.devservices import free_port
from tests.stack_database import session_kind_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Database 13 of the session's Redis: this stack's Celery queues are its own.
REDIS_DB = 13
READY_TIMEOUT = 240.0
SERVICE_VARS = ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "DATABASE_URL", "RIFFLE_PORT")


@dataclass
class LiveStack:
    url: str  # "http://127.0.0.1:PORT/"
    port: int
    kafka_bootstrap: str
    redis_url: str
    username: str
    password: str
    process: subprocess.Popen[bytes]
    # the stack's environment (its database among it), for `manage.py` commands on it
    env: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """`manage.py <args>` against the stack's database; its output."""
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**self.env, **(extra_env or {})},
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


# -- the stack -------------------------------------------------------------------------


def _pump(process: subprocess.Popen[bytes], lines: list[str]) -> None:
    assert process.stdout is not None
    for raw in iter(process.stdout.readline, b""):
        lines.append(raw.decode(errors="replace").rstrip("\n"))


def _stop(process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # runstack puts every child in a session of its own; kill those too.
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == process.pid:
                try:
                    os.killpg(int(fields[3]), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_stack(kafka_bootstrap: str, redis_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    workdir = tmp_path_factory.mktemp("live-stack")
    with session_kind_database(workdir, prefix="riffle_e2e") as database_url:
        yield from _live_stack(database_url, kafka_bootstrap, redis_server_url, workdir)


def _live_stack(database_url: str, kafka_bootstrap: str, redis_server_url: str, workdir: Path) -> Iterator[LiveStack]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DATABASE_URL"] = database_url
    redis_url = urlunsplit(urlsplit(redis_server_url)._replace(path=f"/{REDIS_DB}"))
    env.update(KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runstack", "--port", str(port), "--no-generator", "--state-dir", str(workdir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    lines: list[str] = []
    threading.Thread(target=_pump, args=(process, lines), daemon=True).start()
    try:
        banner = _wait_ready(process, lines)
        username, password = banner
        yield LiveStack(f"http://127.0.0.1:{port}/", port, kafka_bootstrap, redis_url, username, password, process,
                        env, lines)
    finally:
        _stop(process)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "live-stack.log").write_text("\n".join(lines) + "\n")
        import redis

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        client.close()


def _wait_ready(process: subprocess.Popen[bytes], lines: list[str]) -> tuple[str, str]:
    deadline = time.monotonic() + READY_TIMEOUT
    credentials = re.compile(r"log in as (\S+) / (\S+)")
    while time.monotonic() < deadline:
        text = "\n".join(lines)
        if "Riffle is running at" in text:
            found = credentials.search(text)
            if found:
                return found.group(1), found.group(2)
        if process.poll() is not None:
            pytest.fail(f"the live stack exited with code {process.returncode} before it was ready:\n{text}", pytrace=False)
        time.sleep(0.5)
    tail = "\n".join(lines[-80:])
    pytest.fail(f"the live stack was not ready within {READY_TIMEOUT:.0f} s; last output:\n{tail}", pytrace=False)


# -- the browser -----------------------------------------------------------------------


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the
# main thread while it is open, and every later test using async_to_sync would fail.
@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` (make test does it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Artifacts:
    """Numbered screenshots of one test, plus its browser console."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.console: list[str] = []
        self._count = 0

    def screenshot(self, page: object, step: str) -> Path:
        self._count += 1
        path = self.directory / f"{self._count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Artifacts:
    directory = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*"):
        old.unlink()
    return Artifacts(directory)


@pytest.fixture
def page(chromium_browser: object, artifacts: Artifacts, request: pytest.FixtureRequest) -> Iterator[object]:
    size = request.node.get_closest_marker("viewport")
    width, height = size.args if size is not None else (1440, 900)
    context = chromium_browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page = context.new_page()
    page.on("console", lambda message: artifacts.console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: artifacts.console.append(f"[pageerror] {error}"))
    # The console says only "Failed to load resource"; the log names what failed.
    page.on("response", lambda response: response.status >= 400 and artifacts.console.append(
        f"[http {response.status}] {response.request.method} {response.url}"))
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            try:
                artifacts.screenshot(page, "failure")
            except Exception:  # noqa: BLE001 - the page may be gone; the log still matters
                pass
        (artifacts.directory / "console.log").write_text("\n".join(artifacts.console) + "\n")
        context.close()
    # Issue 7: no console errors during the end-to-end runs (a failed request included).
    errors = [line for line in artifacts.console if line.startswith(("[error]", "[pageerror]", "[http"))]
    if report is not None and report.passed and errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(errors), pytrace=False)
