"""JSON endpoints for Kafka connections and their topics and records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypedDict

from django.db import transaction
from django.db.models import ProtectedError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, Pages, ProblemsError, paged_schema, paginate, typed_schema
from studio.connections import kafka
from studio.connections.models import Connection, ConnectionDict
from studio.connections.records import RecordDict, encode, record_dict
from studio.connections.serializers import (
    BrowseQuery,
    ConnectionBody,
    ConnectionFilter,
    NewRecord,
    NewTopic,
)
from studio.deployments.models import AuditEvent
from studio.topologies.documents import problem
from studio.workspaces.access import check, visible
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
_KAFKA_ERRORS = {
    400: _ERROR, 404: _ERROR,
    409: OpenApiResponse(ERROR_SCHEMA, description="the connection's secrets cannot be decrypted"),
    502: OpenApiResponse(ERROR_SCHEMA, description="Kafka could not be reached or failed"),
    504: OpenApiResponse(ERROR_SCHEMA, description="Kafka did not answer in time"),
}
_CONNECTION = typed_schema(ConnectionDict)


class TestResultDict(TypedDict):
    ok: bool
    brokers: int | None
    cluster_id: str | None
    error: str | None


class PartitionDict(TypedDict):
    partition: int
    low: int
    high: int


class TopicDict(TypedDict):
    name: str
    internal: bool
    partitions: list[PartitionDict]


class RecordsDict(TypedDict):
    records: list[RecordDict]
    next_offsets: dict[str, int]


class ProducedDict(TypedDict):
    partition: int
    offset: int
    timestamp: int | None


@extend_schema(methods=["GET"], operation_id="connections_list", parameters=[ConnectionFilter],
               responses={200: paged_schema(ConnectionDict), 400: _ERROR})
@extend_schema(methods=["POST"], operation_id="connections_create", request=ConnectionBody,
               responses={201: _CONNECTION, 400: _ERROR})
@api_view(["GET", "POST"])
def connection_list(request: Request) -> Response:
    if request.method == "GET":
        query = ConnectionFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        connections = visible(Connection.objects.select_related("created_by"), request.user)
        return paginate(request, query.filter(connections), Connection.to_dict)
    body = ConnectionBody(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    workspace = body.validated_data["workspace"]
    check(request.user, workspace.pk, Role.ADMIN, action="Adding a connection",
          not_found=f"There is no workspace {workspace.pk}.")
    connection = body.save(created_by=request.user)
    AuditEvent.record(request.user, "connection.create", connection, name=connection.name)
    return Response(connection.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: _CONNECTION, 404: _ERROR})
@extend_schema(methods=["PUT", "PATCH"], request=ConnectionBody,
               responses={200: _CONNECTION, 400: _ERROR, 404: _ERROR, 409: _ERROR})
@extend_schema(methods=["DELETE"], responses={204: None, 404: _ERROR, 409: _ERROR})
@api_view(["GET", "PUT", "PATCH", "DELETE"])
def connection_detail(request: Request, connection_id: int) -> Response:
    if request.method == "GET":
        return Response(_connection(request, connection_id, Role.VIEWER, "Reading").to_dict())
    if request.method == "DELETE":
        connection = _connection(request, connection_id, Role.ADMIN, "Deleting a connection")
        _refuse_if_in_use(connection, deleting=True)
        try:
            with transaction.atomic():
                AuditEvent.record(request.user, "connection.delete", connection, name=connection.name)
                connection.delete()
        except ProtectedError:  # a deployment was created on it meanwhile
            _refuse_if_in_use(connection, deleting=True)
            raise
        return Response(status=status.HTTP_204_NO_CONTENT)
    connection = _connection(request, connection_id, Role.ADMIN, "Changing a connection")
    body = ConnectionBody(connection, data=request.data, partial=request.method == "PATCH",
                          context={"request": request})
    body.is_valid(raise_exception=True)
    servers = body.validated_data.get("bootstrap_servers", connection.bootstrap_servers)
    if servers != connection.bootstrap_servers:
        _refuse_if_in_use(connection, deleting=False)
    # Which fields changed, never their values: secrets must not reach the audit log.
    AuditEvent.record(request.user, "connection.update", connection,
                      fields=sorted(k for k in body.validated_data if k != "workspace"))
    return Response(body.save().to_dict())


def _refuse_if_in_use(connection: Connection, *, deleting: bool) -> None:
    """409 naming the deployments that keep `connection` from being deleted, or from
    moving to other servers: those not stopped (their replicas use it now); and, for a
    delete, stopped ones too (they run on it again when started)."""
    using = connection.deployments.order_by("application_id")
    running = [d.application_id for d in using if not d.is_stopped()]
    if running:
        change = "deleted" if deleting else "moved to other bootstrap servers"
        message = (f"Connection {connection.name!r} cannot be {change} while deployments run on it: "
                   f"{', '.join(running)}. Stop them first.")
        raise ProblemsError(message, [], status_code=status.HTTP_409_CONFLICT)
    stopped = [d.application_id for d in using]
    if deleting and stopped:
        message = (f"Connection {connection.name!r} cannot be deleted: stopped deployments run on it "
                   f"when started again: {', '.join(stopped)}.")
        raise ProblemsError(message, [], status_code=status.HTTP_409_CONFLICT)


@extend_schema(request=None, responses={200: typed_schema(TestResultDict), 404: _ERROR})
@api_view(["POST"])
def connection_test(request: Request, connection_id: int) -> Response:
    """Ask the cluster for its metadata. Failure is an answer too: `ok` false with why."""
    connection = _connection(request, connection_id, Role.EDITOR, "Testing a connection")
    try:
        info = kafka.cluster_info(connection)
    except kafka.KafkaCallError as exc:
        return Response({"ok": False, "brokers": None, "cluster_id": None, "error": exc.message})
    return Response({"ok": True, "brokers": info.brokers, "cluster_id": info.cluster_id, "error": None})


@extend_schema(methods=["GET"], operation_id="connections_topics_list",
               responses={200: paged_schema(TopicDict), **_KAFKA_ERRORS})
@extend_schema(methods=["POST"], operation_id="connections_topics_create", request=NewTopic,
               responses={201: typed_schema(TopicDict), **_KAFKA_ERRORS})
@api_view(["GET", "POST"])
def topic_list(request: Request, connection_id: int) -> Response:
    if request.method == "POST":
        connection = _connection(request, connection_id, Role.OPERATOR, "Creating a topic")
        body = NewTopic(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with _kafka_errors():
            kafka.create_topic(connection, data["name"], data["partitions"], data["replication_factor"], data["configs"])
        # A new topic is empty; its metadata may not have reached every broker yet.
        created: TopicDict = {
            "name": data["name"], "internal": data["name"].startswith("__"),
            "partitions": [{"partition": p, "low": 0, "high": 0} for p in range(data["partitions"])],
        }
        AuditEvent.record(request.user, "topic.create", connection, topic=data["name"],
                          partitions=data["partitions"])
        return Response(created, status=status.HTTP_201_CREATED)
    connection = _connection(request, connection_id, Role.VIEWER, "Listing topics")
    with _kafka_errors():
        topics = kafka.list_topics(connection)
        # Watermarks cost a request per partition: fetch them for this page only.
        pages = Pages()
        page = pages.paginate_queryset(topics, request) or []
        return pages.get_paginated_response(_topic_dicts(connection, page))


def _topic_dicts(connection: Connection, topics: list[kafka.TopicInfo]) -> list[TopicDict]:
    with _kafka_errors():
        marks = kafka.topic_watermarks(connection, topics)
    return [
        {"name": t.name, "internal": t.internal,
         "partitions": [{"partition": p, "low": low, "high": high} for p, (low, high) in enumerate(marks[t.name])]}
        for t in topics
    ]


@extend_schema(methods=["GET"], operation_id="connections_topics_records_list", parameters=[BrowseQuery],
               responses={200: typed_schema(RecordsDict), **_KAFKA_ERRORS})
@extend_schema(methods=["POST"], operation_id="connections_topics_records_create", request=NewRecord,
               responses={201: typed_schema(ProducedDict), **_KAFKA_ERRORS})
@api_view(["GET", "POST"])
def topic_records(request: Request, connection_id: int, topic: str) -> Response:
    if request.method == "POST":
        connection = _connection(request, connection_id, Role.OPERATOR, "Producing a record")
        return _produce(request, connection, topic)
    connection = _connection(request, connection_id, Role.VIEWER, "Reading records")
    query = BrowseQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    with _kafka_errors():
        raw, positions = kafka.read_records(
            connection, topic, partition=q.get("partition"), offset=q.get("offset"),
            timestamp=q.get("timestamp"), limit=q["limit"],
        )
    records = [record_dict(r, q["key_serde"], q["value_serde"], topic) for r in raw]
    return Response({"records": records, "next_offsets": {str(p): o for p, o in sorted(positions.items())}})


def _produce(request: Request, connection: Connection, topic: str) -> Response:
    body = NewRecord(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    encoded: dict[str, bytes | None] = {}
    for part in ("key", "value"):
        try:
            encoded[part] = encode(data[f"{part}_serde"], data[part], topic)
        except ValueError as exc:
            message = f"{part}: {exc}"
            raise ProblemsError(message, [problem(str(exc), path=part)]) from None
    with _kafka_errors():
        partition, offset, timestamp = kafka.produce(
            connection, topic, key=encoded["key"], value=encoded["value"],
            partition=data.get("partition"),
            headers=[(h["key"], h["value"].encode("utf-8")) for h in data["headers"]],
        )
    # Where it went and how big, never the key or value themselves: they may be private.
    AuditEvent.record(request.user, "record.produce", connection, topic=topic, partition=partition,
                      offset=offset, key_bytes=_size(encoded["key"]), value_bytes=_size(encoded["value"]))
    return Response({"partition": partition, "offset": offset, "timestamp": timestamp},
                    status=status.HTTP_201_CREATED)


def _size(data: bytes | None) -> int | None:
    return None if data is None else len(data)


@contextmanager
def _kafka_errors() -> Iterator[None]:
    """Turn a failed Kafka call into the JSON error answer it deserves."""
    try:
        yield
    except kafka.KafkaCallError as exc:
        raise ProblemsError(exc.message, [], status_code=exc.status) from None


def _connection(request: Request, connection_id: int, needed: Role, action: str) -> Connection:
    """The connection, if the user's role in its workspace allows `action`."""
    not_found = f"There is no connection {connection_id}."
    connection = Connection.objects.select_related("created_by").filter(pk=connection_id).first()
    if connection is None:
        raise NotFound(not_found)
    check(request.user, connection.workspace_id, needed, action=action, not_found=not_found)
    return connection
