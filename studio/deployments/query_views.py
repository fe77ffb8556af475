"""JSON endpoints for interactive queries of a running deployment's state stores: the
stores of its topology, key lookups, key ranges, window and session fetches. The work is
in studio.deployments.queries (API side) and query_server (replica side)."""

from __future__ import annotations

from typing import Any, TypedDict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, typed_schema
from studio.deployments import lookup, queries
from studio.deployments.models import Deployment
from studio.deployments.queries import StoreDict
from studio.topologies.documents import problem
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
MAX_TIME = 2**62


class StoreListDict(TypedDict):
    deployment: int
    stores: list[StoreDict]


class StoreEntryDict(TypedDict, total=False):
    key: Any
    value: Any
    timestamp: int | None   # of the record that last updated it (timestamped stores)
    start: int              # window and session entries
    end: int


class StoreAnswerDict(TypedDict, total=False):
    store: str
    kind: str
    found: bool             # lookups
    entry: StoreEntryDict | None
    entries: list[StoreEntryDict]
    limit: int
    truncated: bool         # more entries matched than `limit`


# "from" is a Python keyword, so the query's fields are given as a mapping.
StoreQuery = type("StoreQuery", (serializers.Serializer,), {
    "__module__": __name__,
    "__doc__": "The query string of a store query.",
    "key": serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="look up this key (text, read with the store's key serde)"),
    "from": serializers.CharField(required=False, trim_whitespace=False,
                                  help_text="first key of a range (inclusive)"),
    "to": serializers.CharField(required=False, trim_whitespace=False, help_text="last key of a range (inclusive)"),
    "limit": serializers.IntegerField(min_value=1, max_value=queries.MAX_LIMIT, default=queries.DEFAULT_LIMIT),
    "time_from": serializers.IntegerField(required=False, help_text="window stores: first window start (ms)"),
    "time_to": serializers.IntegerField(required=False, help_text="window stores: last window start (ms)"),
})


@extend_schema(responses={200: typed_schema(StoreListDict), 404: _ERROR})
@api_view(["GET"])
def store_list(request: Request, deployment_id: int) -> Response:
    """The state stores of the deployment's topology that can be queried, with kind."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Listing state stores")
    stores = queries.deployment_stores(deployment)
    return Response({"deployment": deployment.pk,
                     "stores": [stores[name].to_dict() for name in sorted(stores)]})


@extend_schema(
    parameters=[StoreQuery],
    responses={200: typed_schema(StoreAnswerDict), 400: _ERROR, 404: _ERROR, 409: _ERROR,
               502: _ERROR, 503: _ERROR, 504: _ERROR},
)
@api_view(["GET"])
def store_query(request: Request, deployment_id: int, store_name: str) -> Response:
    """Query a state store of the running replicas: `?key=` looks a key up; otherwise
    `?from=&to=&limit=` lists a key range in key order. Window stores: `?key=` (or none
    for every key) with `?time_from=&time_to=` (window starts, ms). Session stores:
    `?key=` gives its sessions."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Querying a state store")
    params = StoreQuery(data=request.query_params)
    params.is_valid(raise_exception=True)
    query = params.validated_data
    try:
        store = queries.store_of(deployment, store_name)
    except queries.UnknownStoreError as exc:
        raise ProblemsError(str(exc), [], status_code=status.HTTP_404_NOT_FOUND) from None
    limit = query["limit"]
    request_body: dict[str, Any] = {"store": store.name, "limit": limit}
    for field in ("key", "from", "to"):
        if field in query:
            try:
                request_body[field] = queries.parse_key(store.key_serde, query[field])
            except ValueError as exc:
                raise ProblemsError(str(exc), [problem(str(exc), path=field)]) from None
    is_lookup = store.kind == "key-value" and "key" in request_body
    if store.kind == "key-value":
        request_body["op"] = "get" if is_lookup else "range"
    elif store.kind == "window":
        request_body.update(op="fetch", time_from=query.get("time_from", 0), time_to=query.get("time_to", MAX_TIME))
    else:
        if "key" not in request_body:
            message = "A session store is queried by key: give ?key=."
            raise ProblemsError(message, [problem(message, path="key")])
        request_body["op"] = "fetch"
    answers = _ask(deployment, request_body)
    answer: dict[str, Any] = {"store": store.name, "kind": store.kind}
    if is_lookup:
        entry = queries.merge_lookup(answers)
        answer.update(found=entry is not None, entry=entry)
    else:
        entries, truncated = queries.merge_entries(answers, limit)
        answer.update(entries=entries, limit=limit, truncated=truncated)
    return Response(answer)


def _ask(deployment: Deployment, request_body: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return queries.ask_replicas(deployment, request_body)
    except queries.DeploymentNotRunningError as exc:
        raise ProblemsError(str(exc), [], status_code=status.HTTP_409_CONFLICT) from None
    except queries.QueryTimeoutError as exc:
        raise ProblemsError(str(exc), [], status_code=status.HTTP_504_GATEWAY_TIMEOUT) from None
    except queries.QueryFailedError as exc:
        code = status.HTTP_503_SERVICE_UNAVAILABLE if exc.retriable else status.HTTP_502_BAD_GATEWAY
        message = f"{exc}{' (retry in a moment)' if exc.retriable else ''}"
        raise ProblemsError(message, [], status_code=code) from None
