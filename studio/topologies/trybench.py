"""POST /api/try/: run an unsaved document on sample records (the editor's "Try it").

The run itself is `runtime.spec.trial.trial_run` (the broker-free test driver, read
through the engine's sampling hook); this module checks who may run what, turns the
request's steps into the runtime's and the engine's objects into JSON.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from runtime import spec
from runtime.spec.trial import AdvanceWallClock, PipeRecord, Step, TrialLimits, TrialRecord, trial_run
from studio.api import ERROR_SCHEMA, MAX_ID, ProblemsError, typed_schema
from studio.monitoring.samples import to_json_safe
from studio.topologies import documents
from studio.topologies.documents import ProblemDict, UnloadableDocumentError
from studio.workspaces.access import check, visible
from studio.workspaces.models import Role, Workspace

__all__ = ["MAX_STEPS", "try_document"]

MAX_STEPS = 1000
#: the largest timestamp or clock advance taken: what a browser's numbers hold exactly
MAX_TIME_MS = 2**53 - 1
LIMITS = TrialLimits(records_per_node=200, records_per_topic=200, cpu_limit_s=5.0)
#: a key or value longer than this (as JSON) comes back as a preview string
MAX_PREVIEW_BYTES = 2048

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


class TryDocument(serializers.Serializer):
    workspace = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="id of the workspace the document is edited in")
    document = serializers.JSONField(help_text="the (unsaved) topology document")
    steps = serializers.ListField(
        child=serializers.JSONField(), max_length=MAX_STEPS,
        help_text=(
            "played in order: {\"record\": {\"topic\"?, \"key\"?, \"value\"?, \"timestamp\"?, "
            "\"headers\"?: [{\"key\", \"value\"}] (text)}} pipes a record to a source topic (topic: the "
            "document's first source topic when left out; key and value: JSON values written with "
            "the source's serdes; timestamp: ms, default the wall clock; stream time follows the "
            "timestamps), {\"advance_wall_clock_ms\": n} moves the wall clock on and runs the "
            f"wall-clock punctuators due. At most {MAX_STEPS}."),
    )
    on_error = serializers.ChoiceField(
        choices=["stop", "continue"], default="stop",
        help_text="stop at the first failing record (log-and-fail) or skip it and go on (log-and-continue)")
    initial_wall_clock_ms = serializers.IntegerField(
        min_value=0, max_value=MAX_TIME_MS, default=0, help_text="the wall clock when the run starts")

    def validate_workspace(self, value: int) -> Workspace:
        # A workspace the user is not in does not exist, as far as they can tell.
        workspace = visible(Workspace.objects.filter(pk=value), self.context["request"].user,
                            through="").first()
        if workspace is None:
            raise serializers.ValidationError(f"There is no workspace {value}.")
        return workspace

    def validate_document(self, value: object) -> object:
        if not isinstance(value, dict):
            raise serializers.ValidationError("The document must be a JSON object.")
        return value


class TriedRecordDict(TypedDict):
    key: Any
    value: Any
    timestamp: int
    step: int | None  # index of the step that caused it; null while the driver started
    processor: str  # the engine processor that passed it on (a split's branch, a sink)
    truncated: list[str]  # "key" / "value" when shown as a preview of its JSON


class TriedNodeDict(TypedDict):
    records: list[TriedRecordDict]
    truncated: bool  # more records than the cap went through
    same_as: str | None  # a node with no processor of its own shows its input's records


class TriedTopicDict(TypedDict):
    records: list[TriedRecordDict]
    truncated: bool


class TrialErrorDict(TypedDict):
    step: int | None
    node_id: str | None
    processor: str | None
    kind: str
    message: str
    decision: Literal["continued", "failed"]


class TrialDict(TypedDict):
    nodes: dict[str, TriedNodeDict]
    outputs: dict[str, TriedTopicDict]
    errors: list[TrialErrorDict]
    problems: list[ProblemDict]
    steps_run: int
    stream_time_ms: int  # -1 before any record
    wall_clock_ms: int
    limits: dict[str, float]


@extend_schema(request=TryDocument, responses={200: typed_schema(TrialDict), 400: _ERROR, 403: _ERROR})
@api_view(["POST"])
def try_document(request: Request) -> Response:
    """Run an unsaved document on the given steps with the broker-free test driver and
    answer what every node passed on, what reached each output topic, and the records
    that failed (with the node and step). Needs the editor role in `workspace`. A
    document with errors is a 400 with its problems, as is a step its source cannot
    take (path `steps.<i>.<field>`)."""
    body = TryDocument(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    data = body.validated_data
    workspace = data["workspace"]
    check(request.user, workspace.pk, Role.EDITOR, action="Trying a document",
          not_found=f"There is no workspace {workspace.pk}.")
    try:
        loaded = documents.load(data["document"])
    except UnloadableDocumentError as exc:
        raise ProblemsError("The document cannot be loaded.", exc.problems) from None
    problems = documents.check(data["document"])
    errors = [p for p in problems if p["severity"] == "error"]
    if errors:
        raise ProblemsError(
            f"The document has {len(errors)} error{'s' if len(errors) != 1 else ''}.", problems)
    steps = _steps(data["steps"])
    try:
        result = trial_run(loaded, steps, on_error=data["on_error"],
                           initial_wall_clock_ms=data["initial_wall_clock_ms"], limits=LIMITS)
    except spec.SpecError as exc:
        found = documents.spec_problems(exc)
        raise ProblemsError(found[0]["message"] if len(found) == 1 else str(exc), found) from None
    answer: TrialDict = {
        "nodes": {node_id: {"records": [_record(r) for r in out.records], "truncated": out.truncated,
                            "same_as": out.same_as}
                  for node_id, out in result.nodes.items()},
        "outputs": {topic: {"records": [_record(r) for r in out.records], "truncated": out.truncated}
                    for topic, out in result.outputs.items()},
        "errors": [{"step": e.step, "node_id": e.node_id, "processor": e.processor, "kind": e.kind,
                    "message": e.message, "decision": e.decision} for e in result.errors],
        "problems": problems,
        "steps_run": result.steps_run,
        "stream_time_ms": result.stream_time_ms,
        "wall_clock_ms": result.wall_clock_ms,
        "limits": {"steps": MAX_STEPS, "records_per_node": LIMITS.records_per_node,
                   "records_per_topic": LIMITS.records_per_topic, "cpu_s": LIMITS.cpu_limit_s},
    }
    return Response(answer)


def _record(record: TrialRecord) -> TriedRecordDict:
    key, key_cut = to_json_safe(record.key, MAX_PREVIEW_BYTES)
    value, value_cut = to_json_safe(record.value, MAX_PREVIEW_BYTES)
    return {"key": key, "value": value, "timestamp": record.timestamp, "step": record.step,
            "processor": record.processor,
            "truncated": [n for n, cut in (("key", key_cut), ("value", value_cut)) if cut]}


_RECORD_FIELDS = {"topic", "key", "value", "timestamp", "headers"}


def _steps(raw: list[Any]) -> list[Step]:
    """The request's steps as the runtime's; a 400 listing every malformed one."""
    steps: list[Step] = []
    problems: list[ProblemDict] = []

    def refuse(index: int, where: str, message: str) -> None:
        path = f"steps.{index}" + (f".{where}" if where else "")
        problems.append(documents.problem(f"step {index}: {message}", path=path))

    for index, step in enumerate(raw):
        kinds = sorted(set(step) & {"record", "advance_wall_clock_ms"}) if isinstance(step, dict) else []
        if len(kinds) != 1 or len(step) != 1:
            refuse(index, "", 'expected {"record": {...}} or {"advance_wall_clock_ms": n}')
            continue
        if kinds[0] == "advance_wall_clock_ms":
            ms = step["advance_wall_clock_ms"]
            if not _whole(ms, 0, MAX_TIME_MS):
                refuse(index, "advance_wall_clock_ms", f"expected a whole number of ms from 0 to {MAX_TIME_MS}")
                continue
            steps.append(AdvanceWallClock(ms))
            continue
        record = step["record"]
        before = len(problems)
        if not isinstance(record, dict):
            refuse(index, "record", "expected an object with topic, key, value, timestamp, headers")
            continue
        unknown = sorted(set(record) - _RECORD_FIELDS)
        if unknown:
            refuse(index, f"record.{unknown[0]}", f"unknown field {unknown[0]!r}; a record has "
                   "topic, key, value, timestamp and headers")
        topic = record.get("topic")
        if topic is not None and (not isinstance(topic, str) or not topic):
            refuse(index, "record.topic", "expected a topic name")
        timestamp = record.get("timestamp")
        if timestamp is not None and not _whole(timestamp, 0, MAX_TIME_MS):
            refuse(index, "record.timestamp", f"expected a timestamp in ms from 0 to {MAX_TIME_MS}")
        headers = _headers(record.get("headers"))
        if headers is None:
            refuse(index, "record.headers", 'expected a list of {"key": text, "value": text}')
        if len(problems) == before:
            steps.append(PipeRecord(topic, record.get("key"), record.get("value"), timestamp, headers))
    if problems:
        message = problems[0]["message"] if len(problems) == 1 else f"{len(problems)} steps cannot be played."
        raise ProblemsError(message, problems)
    return steps


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _headers(raw: Any) -> tuple[tuple[str, bytes], ...] | None:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        return None
    headers = []
    for header in raw:
        if not isinstance(header, dict) or set(header) != {"key", "value"} \
                or not isinstance(header["key"], str) or not isinstance(header["value"], str):
            return None
        headers.append((header["key"], header["value"].encode("utf-8")))
    return tuple(headers)
