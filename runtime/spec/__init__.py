"""Topology documents: the format the studio saves and deploys, and what works on it.

- :func:`load_document` / :func:`dump_document`: JSON form ⇄ :class:`Document`;
  :func:`document_schema` is the JSON Schema editors check against.
- :func:`node_catalog`: every node type with its ports, params schema and help;
  :func:`port_kinds` names the port kinds and the hints for mismatched ones.
- :func:`validate`: every :class:`Problem` at once, with node id and param path;
  given the cluster's topics (name → partitions) it also checks co-partitioning.
  :func:`dataflow` says where repartition topics appear and which nodes own stores.
- :func:`compile_document`: a document → a ``runtime`` Topology through the DSL,
  each node's id passed as the DSL ``name=``.
- :func:`compile_expression`: the sandboxed expression language of node params.
- :func:`register_function` / :func:`register_processor`: user-defined Python code,
  usually installed as entry points (:mod:`runtime.spec.udf`), usable by name in
  expressions and in Process nodes.
- :func:`export_python`: a document → a readable Python program building the same
  topology with the DSL (``describe()`` equal).
- :func:`diff_documents`: what changed between two documents (nodes added, removed,
  changed or only moved; edges; settings).
"""

from __future__ import annotations

from runtime.spec.catalog import node_catalog
from runtime.spec.compiler import compile_document
from runtime.spec.diff import DocumentDiff, FieldChange, NodeChange, NodeMove, diff_documents
from runtime.spec.document import (
    FORMAT_VERSION,
    Document,
    Edge,
    Node,
    Position,
    Settings,
    dump_document,
    load_document,
)
from runtime.spec.errors import Problem, SpecError
from runtime.spec.examples import list_examples, load_example
from runtime.spec.export import export_python
from runtime.spec.expressions import (
    ExpressionError,
    ExpressionLimitError,
    ExpressionRuntimeError,
    compile_expression,
    function_reference,
)
from runtime.spec.record_logger import RecordLogger
from runtime.spec.schema import document_schema
from runtime.spec.topic_chooser import TopicChooser
from runtime.spec.udf import (
    UdfError,
    entry_point_errors,
    processor_factory,
    register_function,
    register_processor,
    registered_processors,
)
from runtime.spec.validation import dataflow, validate
from runtime.spec.validation.edges import port_kinds

__all__ = [
    "FORMAT_VERSION",
    "Document",
    "DocumentDiff",
    "Edge",
    "ExpressionError",
    "ExpressionLimitError",
    "ExpressionRuntimeError",
    "FieldChange",
    "Node",
    "NodeChange",
    "NodeMove",
    "Position",
    "Problem",
    "RecordLogger",
    "Settings",
    "SpecError",
    "TopicChooser",
    "UdfError",
    "compile_document",
    "compile_expression",
    "dataflow",
    "diff_documents",
    "document_schema",
    "dump_document",
    "entry_point_errors",
    "export_python",
    "function_reference",
    "list_examples",
    "load_document",
    "load_example",
    "node_catalog",
    "port_kinds",
    "processor_factory",
    "register_function",
    "register_processor",
    "registered_processors",
    "validate",
]
