"""Custom processors: a registered Python processor (the Processor API) with its stores."""

from __future__ import annotations

from runtime.spec.catalog.model import NAME_PATTERN, NodeType, Port, params_schema, serde_param

__all__ = ["PROCESSORS", "STORE_TYPES"]

# Store type -> the Stores factory the compiler uses (Kafka's Stores.inMemoryKeyValueStore
# and Stores.persistentKeyValueStore).
STORE_TYPES: dict[str, str] = {
    "in_memory": "in_memory_key_value_store",
    "rocks_db": "persistent_key_value_store",
}

_STORE = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": NAME_PATTERN, "title": "Store name",
                 "description": "The name the processor asks for with "
                                "context.get_state_store(name); its changelog topic is "
                                "<application.id>-<name>-changelog."},
        "type": {"type": "string", "enum": list(STORE_TYPES), "default": "in_memory",
                 "title": "Store type",
                 "description": "in_memory (restored from the changelog on start) or rocks_db "
                                "(on disk under state.dir)."},
        "key_serde": serde_param("How the store's keys are written to its changelog; defaults "
                                 "to the document's default key serde."),
        "value_serde": serde_param("How the store's values are written to its changelog; "
                                   "defaults to the document's default value serde."),
    },
}

PROCESSORS = (
    NodeType(
        type="stream.process",
        category="processors",
        title="Process (custom)",
        description="Runs a Python processor that an administrator installed with the "
                    "deployment (Kafka Streams' Processor API: it may forward any number of "
                    "records with any keys, schedule punctuations and use key-value state "
                    "stores). The output may have new keys, so a later grouping or join "
                    "repartitions it.",
        params=params_schema(
            {
                "processor": {
                    "type": "string",
                    "minLength": 1,
                    "title": "Processor",
                    "description": "The name of a registered processor (entry point group "
                                   "'riffle.processors').",
                    # Registrations are made at deployment, so no enum: editors list the
                    # registered names from the API and validation checks the name.
                    "x-registry": "processors",
                },
                "stores": {
                    "type": "array",
                    "items": _STORE,
                    "default": [],
                    "title": "State stores",
                    "description": "Key-value stores the processor uses, created with the "
                                   "topology and connected to this node.",
                },
            },
            required=("processor",),
        ),
        example={"params": {"processor": "dedupe",
                            "stores": [{"name": "seen-ids", "type": "rocks_db",
                                        "key_serde": "string", "value_serde": "long"}]},
                 "note": "drops records whose id was seen before, remembering ids in a store"},
        inputs=(Port("in", "stream", "records"),),
        outputs=(Port("out", "stream", "records"),),
        # Kafka's KStream#process marks its result repartitionRequired.
        key_changing=True,
    ),
)
