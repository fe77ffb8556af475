"""Settings of the Celery processes that tests/studio/integration starts.

The studio's settings, plus the isolation the in-process fixtures give the test itself
(tests/studio/conftest.py: `studio_redis`, `celery_queues`): every Redis key the worker
and beat use, the Celery queues and the channel layer included, starts with
RIFFLE_TEST_KEY_PREFIX, so that several runs can share one Redis database. The
studio's own keys take RIFFLE_KEY_PREFIX as usual.

Not a module of the studio: the test puts this directory on the processes' PYTHONPATH
and names it in DJANGO_SETTINGS_MODULE.
"""

from __future__ import annotations

import os

from studio.settings import *  # noqa: F403
from studio.settings import CHANNEL_LAYERS

_PREFIX = os.environ["RIFFLE_TEST_KEY_PREFIX"]

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{_PREFIX}:asgi"
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{_PREFIX}:celery:"}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{_PREFIX}:celery:"}
