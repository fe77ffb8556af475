"""Topology tools: validate and export an unsaved document; describe, export and diff saved
versions.

Every answer comes from `runtime.spec` and the runtime Topology it compiles; this module
only looks versions up and shapes JSON.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from runtime import spec
from studio.api import ERROR_SCHEMA, ProblemsError, typed_schema
from studio.connections import kafka
from studio.connections.models import Connection
from studio.topologies import documents, lookup
from studio.topologies.documents import ProblemDict, UnloadableDocumentError
from studio.topologies.models import TopologyVersion
from studio.topologies.serializers import UnsavedDocument, ValidateDocument
from studio.workspaces.access import role_of
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


class ProblemsDict(TypedDict):
    problems: list[ProblemDict]


class RepartitionDict(TypedDict):
    node_id: str
    port: str | None  # the input port; null when the node itself regroups
    reason: str


class StoreDict(TypedDict):
    node_id: str
    store: str


class DataflowDict(TypedDict):
    repartitions: list[RepartitionDict]
    stores: list[StoreDict]


class ValidationDict(TypedDict):
    problems: list[ProblemDict]
    dataflow: DataflowDict


class DescribedNodeDict(TypedDict):
    kind: Literal["source", "processor", "sink"]
    name: str
    predecessors: list[str]
    successors: list[str]
    topics: list[str] | None  # source; null when it subscribes by pattern, or not a source
    topic_pattern: str | None  # source subscribed by pattern
    stores: list[str]  # processor; empty for the others
    topic: str | None  # sink with a fixed topic
    topic_extractor: str | None  # sink with a topic chooser


class SubtopologyDict(TypedDict):
    id: int
    nodes: list[DescribedNodeDict]


class GlobalStoreDict(TypedDict):
    id: int
    source: DescribedNodeDict
    processor: DescribedNodeDict


class DescribeDict(TypedDict):
    text: str
    subtopologies: list[SubtopologyDict]
    global_stores: list[GlobalStoreDict]


class ExportDict(TypedDict):
    filename: str
    source: str


class FieldChangeDict(TypedDict):
    field: str
    before: Any
    after: Any


class NodeChangeDict(TypedDict):
    id: str
    changes: list[FieldChangeDict]


class PointDict(TypedDict):
    x: float
    y: float


class NodeMoveDict(TypedDict):
    id: str
    before: PointDict
    after: PointDict


class DiffNodeDict(TypedDict):
    id: str
    type: str
    label: str
    params: dict[str, Any]


class DiffEdgeDict(TypedDict):
    id: str
    source: str
    source_port: str
    target: str
    target_port: str


class DiffDict(TypedDict):
    from_version: int
    to_version: int
    added_nodes: list[DiffNodeDict]
    removed_nodes: list[DiffNodeDict]
    changed_nodes: list[NodeChangeDict]
    moved_nodes: list[NodeMoveDict]
    added_edges: list[DiffEdgeDict]
    removed_edges: list[DiffEdgeDict]
    settings: list[FieldChangeDict]
    document: list[FieldChangeDict]


@extend_schema(
    request=ValidateDocument,
    responses={200: typed_schema(ValidationDict), 400: _ERROR},
)
@api_view(["POST"])
def validate(request: Request) -> Response:
    """Every problem of an unsaved document, as saving it would report them (warnings
    and errors alike: a 200 with errors means "would not save"). Given the cluster's
    `topics` and the topics' value `fields`, the checks that need them run too; given a
    `connection` instead of `topics`, its cluster's topics are read (co-partitioning of
    joins, missing source topics). A body that is not even shaped like a document is a
    400 listing why. `dataflow` says where repartition topics will appear and which
    nodes own state stores, for the editor to draw."""
    body = ValidateDocument(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    document = data["document"]
    try:
        loaded = documents.load(document)
    except UnloadableDocumentError as exc:
        raise ProblemsError("The document cannot be loaded.", exc.problems) from None
    topics, unread = data.get("topics"), []
    if topics is None and "connection" in data:
        topics, unread = _cluster_topics(request, data["connection"])
    problems = documents.check(document, topics=topics, fields=data.get("fields"))
    return Response({"problems": unread + problems, "dataflow": spec.dataflow(loaded)})


def _cluster_topics(request: Request, connection_id: int) -> tuple[dict[str, int] | None, list[ProblemDict]]:
    """The connection's topics (name → partitions), or None and a warning saying why the
    checks against the cluster did not run."""
    not_found = f"There is no connection {connection_id}."
    connection = Connection.objects.filter(pk=connection_id).first()
    # Another workspace's connection does not exist, as far as the user can tell.
    if connection is None or role_of(request.user, connection.workspace_id) is None:
        raise ProblemsError(f"connection: {not_found}", [documents.problem(not_found, path="connection")])
    try:
        return {t.name: t.partitions for t in kafka.list_topics(connection)}, []
    except kafka.KafkaCallError as exc:
        return None, [documents.problem(
            f"The topics of connection {connection.name!r} could not be read, so co-partitioning "
            f"and missing topics were not checked: {exc.message}", path="connection", severity="warning",
        )]


@extend_schema(responses={200: typed_schema(DescribeDict), 400: _ERROR, 404: _ERROR})
@api_view(["GET"])
def describe(request: Request, topology_id: int, number: int) -> Response:
    """The compiled topology as Kafka Streams' text and as data: sub-topologies with
    their nodes (sources' topics, processors' stores, sinks' topic, both directions of
    links). A version that does not compile is a 400 with its problems."""
    version = lookup.version(request, topology_id, number, "Describing a version")
    description = _compile(version).describe()
    data = description.to_dict()
    answer: DescribeDict = {
        "text": str(description),
        "subtopologies": [
            {"id": s["id"], "nodes": [_node(n) for n in s["nodes"]]} for s in data["subtopologies"]
        ],
        "global_stores": [
            {"id": g["id"], "source": _node(g["source"]), "processor": _node(g["processor"])}
            for g in data["global_stores"]
        ],
    }
    return Response(answer)


@extend_schema(
    parameters=[OpenApiParameter(
        "download", OpenApiTypes.BOOL, required=False,
        description="answer the program itself (text/x-python, as an attachment)",
    )],
    responses={
        (200, "application/json"): typed_schema(ExportDict),
        (200, "text/x-python"): OpenApiTypes.STR,
        400: _ERROR, 404: _ERROR,
    },
)
@api_view(["GET"])
def export(request: Request, topology_id: int, number: int) -> Response | HttpResponse:
    """The Python program that builds this version's topology with the DSL
    (`runtime.spec.export_python`); running it prints the topology's description."""
    download = _flag(request, "download")
    version = lookup.version(request, topology_id, number, "Exporting a version")
    _refuse_errors(version)
    try:
        source = spec.export_python(documents.load(version.document))
    except UnloadableDocumentError as exc:
        raise ProblemsError(f"Version {number} cannot be loaded.", exc.problems) from None
    except spec.SpecError as exc:
        raise ProblemsError(
            f"Version {number} cannot be exported.", documents.spec_problems(exc)
        ) from None
    filename = _program_name(version.topology.name)
    if download:
        response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    answer: ExportDict = {"filename": filename, "source": source}
    return Response(answer)


@extend_schema(
    request=UnsavedDocument,
    responses={200: typed_schema(ExportDict), 400: _ERROR},
)
@api_view(["POST"])
def export_document(request: Request) -> Response:
    """The Python program of an unsaved document, as GET .../export/ gives it for a saved
    version: the editor's draft, before it is saved. A document with errors is refused
    with its problems, as saving it would be."""
    body = UnsavedDocument(data=request.data)
    body.is_valid(raise_exception=True)
    document = body.validated_data["document"]
    errors = [p for p in documents.check(document) if p.get("severity") == "error"]
    if errors:
        raise ProblemsError(
            f"The document has {len(errors)} error{'s' if len(errors) != 1 else ''}.", errors)
    try:
        source = spec.export_python(documents.load(document))
    except UnloadableDocumentError as exc:  # check() reported these; kept for safety
        raise ProblemsError("The document cannot be loaded.", exc.problems) from None
    except spec.SpecError as exc:
        raise ProblemsError("The document cannot be exported.", documents.spec_problems(exc)) from None
    answer: ExportDict = {"filename": _program_name(document.get("name")), "source": source}
    return Response(answer)


def _program_name(name: object) -> str:
    text = name if isinstance(name, str) else ""
    return f"{slugify(text).replace('-', '_') or 'topology'}.py"


@extend_schema(
    parameters=[
        OpenApiParameter("from", OpenApiTypes.INT, required=True, description="the older version's number"),
        OpenApiParameter("to", OpenApiTypes.INT, required=True, description="the newer version's number"),
    ],
    responses={200: typed_schema(DiffDict), 400: _ERROR, 404: _ERROR},
)
@api_view(["GET"])
def diff(request: Request, topology_id: int) -> Response:
    """What changed from version `from` to version `to`: nodes added, removed, changed
    (type, label, parameters, each with before and after) or only moved on the canvas;
    edges added and removed; settings, name and description."""
    # Whether the topology may be seen comes first: an outsider learns nothing from
    # which parameters are wrong.
    topology = lookup.topology(request, topology_id, Role.VIEWER, "Comparing versions")
    numbers = _version_numbers(request, "from", "to")
    loaded = []
    for number in numbers:
        version = lookup.version_of(topology, number)
        try:
            loaded.append(documents.load(version.document))
        except UnloadableDocumentError as exc:
            raise ProblemsError(f"Version {number} cannot be loaded.", exc.problems) from None
    answer = {"from_version": numbers[0], "to_version": numbers[1],
              **spec.diff_documents(loaded[0], loaded[1]).to_dict()}
    return Response(answer)


def _node(data: dict[str, Any]) -> DescribedNodeDict:
    """Runtime's node description with every key present (it leaves out the keys that do
    not apply to a node's kind), so clients and the schema see one shape."""
    return {
        "kind": data["kind"],
        "name": data["name"],
        "predecessors": data["predecessors"],
        "successors": data["successors"],
        "topics": data.get("topics"),
        "topic_pattern": data.get("topic_pattern"),
        "stores": data.get("stores", []),
        "topic": data.get("topic"),
        "topic_extractor": data.get("topic_extractor"),
    }


def _compile(version: TopologyVersion) -> Any:
    _refuse_errors(version)
    try:
        return version.compile()
    except spec.SpecError as exc:  # the engine changed since the version was saved
        raise ProblemsError(
            f"Version {version.number} does not compile.", documents.spec_problems(exc)
        ) from None


def _refuse_errors(version: TopologyVersion) -> None:
    errors = [p for p in version.problems if p.get("severity") == "error"]
    if errors:
        raise ProblemsError(
            f"Version {version.number} has {len(errors)} error{'s' if len(errors) != 1 else ''}.",
            version.problems,
        )


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "")
    if raw.lower() in ("", "0", "false"):
        return False
    if raw.lower() in ("1", "true"):
        return True
    raise ProblemsError(
        f"{name}: expected 1, true, 0 or false, not {raw!r}.",
        [documents.problem("expected 1, true, 0 or false", path=name)],
    )


def _version_numbers(request: Request, *names: str) -> list[int]:
    numbers: list[int] = []
    problems: list[ProblemDict] = []
    for name in names:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            problems.append(documents.problem("a version number is required", path=name))
        elif not raw.isdigit() or int(raw) < 1:
            problems.append(documents.problem(
                f"{raw!r} is not a version number (a positive integer)", path=name))
        else:
            numbers.append(int(raw))
    if problems:
        message = (f"{problems[0]['path']}: {problems[0]['message']}" if len(problems) == 1
                   else f"The request has {len(problems)} problems.")
        raise ProblemsError(message, problems)
    return numbers
