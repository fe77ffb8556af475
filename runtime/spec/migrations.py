"""Format migrations: how a document written by an older Riffle becomes a current one.

Every change of the document format bumps :data:`FORMAT_VERSION` and adds one step to
:data:`MIGRATIONS`: a function from the JSON form at version ``n`` to the JSON form at
version ``n + 1``. :func:`migrate` runs the steps from the document's version up to
the current one before :func:`~runtime.spec.load_document` checks the shape, so the
rest of ``runtime.spec`` only ever sees current documents. Saved versions in the
studio's database are never rewritten; they are migrated each time they are loaded.

Only version 1 exists so far, so :data:`MIGRATIONS` is empty.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.errors import Problem, SpecError

__all__ = ["FORMAT_VERSION", "MIGRATIONS", "Migration", "migrate", "register_migration"]

FORMAT_VERSION = 1

# A step from the JSON form at one version to the next. It may change its argument
# (migrate hands it a private copy) and returns the migrated form; migrate sets
# format_version itself, so a step only moves fields.
Migration = Callable[[dict[str, Any]], dict[str, Any]]

# from_version -> the step to from_version + 1.
MIGRATIONS: dict[int, Migration] = {}


def register_migration(from_version: int) -> Callable[[Migration], Migration]:
    """Decorator adding the step from ``from_version`` to ``from_version + 1``."""
    if isinstance(from_version, bool) or not isinstance(from_version, int) or from_version >= FORMAT_VERSION:
        raise ValueError(f"a migration starts at a version older than {FORMAT_VERSION}, not {from_version!r}")

    def add(step: Migration) -> Migration:
        if from_version in MIGRATIONS:
            raise ValueError(f"a migration from format_version {from_version} is already registered")
        MIGRATIONS[from_version] = step
        return step

    return add


def _refuse(message: str) -> SpecError:
    return SpecError("the document cannot be read", [Problem(None, "format_version", "error", message)])


def migrate(data: dict[str, Any], migrations: Mapping[int, Migration] | None = None) -> dict[str, Any]:
    """``data`` brought up to :data:`FORMAT_VERSION`; ``data`` itself is left as it is.

    A document without ``format_version`` is returned unchanged: the shape check
    reports the missing field with the others.

    :raises SpecError: ``format_version`` is not an integer, is newer than this
        program's, or is older than the oldest version a migration starts from.
    """
    steps = MIGRATIONS if migrations is None else migrations
    if "format_version" not in data:
        return data
    version = data["format_version"]
    # bool is an int to Python, but true is no version number in JSON.
    if isinstance(version, bool) or not isinstance(version, int):
        raise _refuse(f"format_version must be an integer such as {FORMAT_VERSION}, not {version!r}")
    if version > FORMAT_VERSION:
        raise _refuse(f"format_version {version} is newer than the supported {FORMAT_VERSION}; "
                      "this document was written by a newer Riffle")
    if version == FORMAT_VERSION:
        return data
    missing = [v for v in range(version, FORMAT_VERSION) if v not in steps]
    if missing:
        # Steps exist from just after the last gap onwards.
        oldest = missing[-1] + 1
        raise _refuse(f"format_version {version} is older than any this program can read "
                      f"(the oldest is {oldest})")
    migrated = copy.deepcopy(data)
    for from_version in range(version, FORMAT_VERSION):
        migrated = steps[from_version](migrated)
        if not isinstance(migrated, dict):
            # A broken step is a programming error; say which one.
            raise TypeError(f"the migration from format_version {from_version} returned "
                            f"{type(migrated).__name__}, not a dict")
        migrated["format_version"] = from_version + 1
    return migrated
