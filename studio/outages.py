"""A database that cannot be reached is an outage, not a bug in the request: such
requests are answered 503 with a message that says so, and a Retry-After, instead of
the 500 that tells a user (and a load balancer) something is broken for good.

The stream processing itself does not wait on the database (replicas keep their
desired state from the last successful read), which the message can therefore promise.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

RETRY_AFTER_S = 10
MESSAGE = ("The studio's database is unavailable, so this request was not carried out. "
           "Running deployments keep processing; try again in a moment.")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` means the database could not be reached or did not answer.

    SQLite reports a missing table or column as an OperationalError too; that is a
    deployment mistake (migrations not run), which must stay a 500 with its traceback.
    """
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        return not str(exc).startswith(("no such table", "no such column"))
    return False
