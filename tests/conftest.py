"""Session services for the whole suite: a Kafka-protocol broker and Redis, on demand.

Fixtures start only what is not already there and stop only what they started:

- `kafka_bootstrap`: KAFKA_BOOTSTRAP_SERVERS if set (it must answer), else a Tansu
  development broker started for the session.
- `redis_url`: REDIS_URL if set (it must answer), else the machine's Redis at
  127.0.0.1:6379 if it answers, else a private redis-server for the session. Tests get
  database 15 of that server (see REDIS_TEST_DB) and must use their own key prefix.

A test that needs a service nobody can provide fails with a message naming the service
and the setting; it is never skipped silently.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from studio.lib import devservices
from tests.tcp_proxy import TcpProxy

# Database numbers of whatever Redis the tests get. Live stacks started by tests
# (tests/studio/ops, tests/e2e) use their own numbers, so that their Celery queues
# never meet a developer's `make run` (database 0) or each other.
REDIS_TEST_DB = 15
REDIS_RUNSTACK_DB = 14
REDIS_E2E_DB = 13


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


# -- services --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        probe = devservices.probe_kafka(configured, timeout=10.0)
        if not probe.ok:
            pytest.fail(f"Kafka is unreachable: {probe.detail} (check KAFKA_BOOTSTRAP_SERVERS, or unset it to use the development broker)", pytrace=False)
        yield configured
        return
    try:
        handle = devservices.start_broker()
    except devservices.DevServiceError as exc:
        pytest.fail(f"could not start the development Kafka broker: {exc} (or set KAFKA_BOOTSTRAP_SERVERS)", pytrace=False)
    try:
        yield handle.bootstrap
    finally:
        handle.stop()


@pytest.fixture
def proxied_broker() -> Iterator[tuple[str, TcpProxy]]:
    """(bootstrap, proxy) of a development broker of the test's own whose advertised
    address is a TcpProxy in front of it: every client connection, the ones learned
    from metadata included, goes through the proxy, which the test can cut."""
    port = devservices.free_port()
    proxy = TcpProxy("127.0.0.1", port)
    try:
        handle = devservices.start_broker(port, advertised=proxy.address)
    except devservices.DevServiceError as exc:
        proxy.close()
        pytest.fail(f"could not start a private development broker: {exc}", pytrace=False)
    try:
        yield handle.bootstrap, proxy
    finally:
        handle.stop()
        proxy.close()


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """The Redis server the session uses, database 0 (prefer `redis_url`)."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        probe = devservices.probe_redis(configured, timeout=3.0)
        if not probe.ok:
            pytest.fail(f"Redis is unreachable: {probe.detail} (check REDIS_URL, or unset it)", pytrace=False)
        yield configured
        return
    machine = "redis://127.0.0.1:6379/0"
    if devservices.redis_answers(machine):
        yield machine
        return
    try:
        handle = devservices.start_redis()
    except devservices.DevServiceError as exc:
        pytest.fail(f"no Redis: nothing answers at 127.0.0.1:6379 and {exc}", pytrace=False)
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server_url: str) -> str:
    """Redis for tests: database REDIS_TEST_DB of the session's server; use a key prefix."""
    return redis_url_with_db(redis_server_url, REDIS_TEST_DB)


# -- Kafka helpers ---------------------------------------------------------------------


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """unique_name("wc") -> "wc-3f9a1c0b2d": for topics, application ids, groups."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def create_topic(kafka_bootstrap: str, unique_name: Callable[[str], str]) -> Iterator[Callable[..., str]]:
    """create_topic("lines", partitions=2, config={...}) -> a new, uniquely named topic.

    The topic exists (metadata shows all its partitions) when the call returns, and is
    deleted after the test.
    """
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    created: list[str] = []

    def make(prefix: str = "test", *, partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = unique_name(prefix)
        future = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})])[name]
        future.result(timeout=15)
        created.append(name)
        _wait_for_topic(admin, name, partitions)
        return name

    yield make
    if created:
        futures = admin.delete_topics(created, operation_timeout=10)
        for future in futures.values():
            try:
                future.result(timeout=15)
            except Exception:  # noqa: BLE001 - cleanup of a per-test topic is best effort
                pass


def _wait_for_topic(admin: object, name: str, partitions: int, timeout: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topic = admin.list_topics(topic=name, timeout=5).topics.get(name)  # type: ignore[attr-defined]
        if topic is not None and topic.error is None and len(topic.partitions) == partitions:
            return
        time.sleep(0.1)
    pytest.fail(f"topic {name} did not show {partitions} partition(s) in metadata within {timeout:.0f} s", pytrace=False)


# -- marks and outcome -----------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests last: fast feedback first, and the live stack they start (session
    # scoped) then runs alongside no other test.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    # The development broker lacks some Kafka behaviour (DESIGN.md, "Known limits");
    # tests of it run only against a configured Apache Kafka, and say so otherwise.
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return
    skip = pytest.mark.skip(reason="needs Apache Kafka: set KAFKA_BOOTSTRAP_SERVERS to a real Kafka cluster")
    for item in items:
        if item.get_closest_marker("apache_kafka"):
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests collected" must never pass as success (a broken path, a typo in -k).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: pytest.Config) -> None:
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        terminalreporter.write_line("ERROR: pytest collected no tests; failing the run", red=True, bold=True)  # type: ignore[attr-defined]


# -- database --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """On SQLite, a test database in a file of the session's own, as `make run`'s: Django
    would otherwise make it in memory with a shared cache, whose table locks fail at
    once instead of waiting out the busy timeout, and whose readers block the writer
    where WAL lets them run beside it. Tests whose replicas or sockets write beside
    the test then met "database table is locked" errors that production never sees."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


_OPENED_DURING: Any = None   # tests.database_sessions.OpenedDuring, on PostgreSQL


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """On PostgreSQL, note which test opened each connection to the test database, for
    the warning below."""
    global _OPENED_DURING
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield
        return
    from django.db import connections

    from tests.database_sessions import OpenedDuring

    if _OPENED_DURING is None:
        _OPENED_DURING = OpenedDuring(url)
    database = connections["default"].settings_dict["NAME"]
    before = _OPENED_DURING.backends(database)
    yield
    if connections["default"].settings_dict["NAME"] == database:
        _OPENED_DURING.note(item.nodeid, database, before)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's, and before it drops a PostgreSQL test database, a warning
    naming whoever is still connected to it (a test that left a connection open)."""
    yield
    from django.db import connections

    from tests.database_sessions import other_sessions

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        others = other_sessions(connection, _OPENED_DURING.tests if _OPENED_DURING else None)
    if _OPENED_DURING is not None:
        _OPENED_DURING.close()
    if others:
        warnings.warn("connections left open to the test database:\n" + "\n".join(others), stacklevel=1)
