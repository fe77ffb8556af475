"""Reprocessing a deployment, both ways (DESIGN.md, "Deployments"), through `runtime`.

- Reset and replay: stop; move the group's input offsets (earliest, a time, a duration
  back) with runtime's Application Reset Tool, which also deletes the internal topics
  and the Redis checkpoints; optionally redirect sinks to new topics; start again. A
  dry run plans it (even while the deployment runs) and changes nothing.
- Side by side: a candidate deployment (another version, or the same) under a new
  application.id, writing to its own copies of the output topics, started from
  earliest or a time; its catch-up progress and an output comparison with the live
  deployment; promote (the candidate becomes live, the old one stops) or discard (the
  candidate stops, its internal topics and Redis state are deleted).

Resets and discards need the application stopped, so they run as a Celery task (see
`run_operation`), recorded as a ReprocessOperation. Everything about stream semantics
(which topics are internal, where offsets go, what a checkpoint is) is runtime's.
"""

from studio.deployments.reprocessing.common import (
    COMPARE_LIMIT_DEFAULT,
    COMPARE_LIMIT_MAX,
    ComparisonDict,
    LiveOutputDict,
    NothingChangedError,
    ReprocessError,
    ResetPlanDict,
)
from studio.deployments.reprocessing.comparison import compare
from studio.deployments.reprocessing.reset import (
    check_redirects,
    reset,
    run_operation,
    target_from_json,
    target_from_request,
)
from studio.deployments.reprocessing.side_by_side import (
    create_side_by_side,
    discard_state,
    is_pending_candidate,
    live_output,
    promote,
)

__all__ = [
    "COMPARE_LIMIT_DEFAULT", "COMPARE_LIMIT_MAX", "ComparisonDict", "LiveOutputDict",
    "NothingChangedError", "ReprocessError", "ResetPlanDict", "check_redirects", "compare",
    "create_side_by_side", "discard_state", "is_pending_candidate", "live_output", "promote",
    "reset", "run_operation", "target_from_json", "target_from_request",
]
