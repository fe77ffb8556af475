"""``TopologyDescription``: the topology as plain, immutable data.

``str()`` gives Kafka Streams' text byte for byte (``TopologyDescription#toString``):
sub-topologies by id, nodes ordered by the size of the sub-graph they feed (largest
first, ties by name), successors and predecessors in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["GlobalStoreDescription", "NodeDescription", "SubtopologyDescription",
           "TopologyDescription"]


@dataclass(frozen=True)
class NodeDescription:
    kind: Literal["source", "processor", "sink"]
    name: str
    predecessors: tuple[str, ...] = ()
    successors: tuple[str, ...] = ()
    topics: tuple[str, ...] | None = None      # source: in Kafka's printed order
    topic_pattern: str | None = None            # source subscribed by pattern
    stores: tuple[str, ...] = ()                # processor: in Kafka's printed order
    topic: str | None = None                    # sink with a fixed topic
    topic_extractor: str | None = None          # sink with a topic chooser

    def __str__(self) -> str:
        succ = ", ".join(self.successors) or "none"
        pred = ", ".join(self.predecessors) or "none"
        if self.kind == "source":
            topics = (self.topic_pattern if self.topics is None
                      else "[" + ", ".join(self.topics) + "]")
            return f"Source: {self.name} (topics: {topics})\n      --> {succ}"
        if self.kind == "processor":
            stores = "[" + ", ".join(self.stores) + "]"
            return f"Processor: {self.name} (stores: {stores})\n      --> {succ}\n      <-- {pred}"
        if self.topic is not None:
            return f"Sink: {self.name} (topic: {self.topic})\n      <-- {pred}"
        return f"Sink: {self.name} (extractor class: {self.topic_extractor})\n      <-- {pred}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name,
                                "predecessors": list(self.predecessors),
                                "successors": list(self.successors)}
        if self.kind == "source":
            data["topics"] = None if self.topics is None else list(self.topics)
            data["topic_pattern"] = self.topic_pattern
        elif self.kind == "processor":
            data["stores"] = list(self.stores)
        else:
            data["topic"] = self.topic
            data["topic_extractor"] = self.topic_extractor
        return data


@dataclass(frozen=True)
class SubtopologyDescription:
    id: int
    nodes: tuple[NodeDescription, ...]

    def __str__(self) -> str:
        body = "".join(f"    {node}\n" for node in self.nodes)
        return f"Sub-topology: {self.id}\n{body}\n"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "nodes": [n.to_dict() for n in self.nodes]}


@dataclass(frozen=True)
class GlobalStoreDescription:
    id: int
    source: NodeDescription
    processor: NodeDescription

    def __str__(self) -> str:
        return (f"Sub-topology: {self.id} for global store (will not generate tasks)\n"
                f"    {self.source}\n    {self.processor}\n")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source.to_dict(),
                "processor": self.processor.to_dict()}


@dataclass(frozen=True)
class TopologyDescription:
    subtopologies: tuple[SubtopologyDescription, ...] = ()
    global_stores: tuple[GlobalStoreDescription, ...] = field(default=())

    def __str__(self) -> str:
        # Sub-topologies and global stores share one id sequence and print interleaved.
        parts: list[str] = ["Topologies:\n "]
        subs = sorted(self.subtopologies, key=lambda s: s.id)
        stores = sorted(self.global_stores, key=lambda g: g.id)
        expected = 0
        while subs and stores:
            if subs[0].id == expected:
                parts.append("  " + str(subs.pop(0)))
            else:
                parts.append("  " + str(stores.pop(0)))
            expected += 1
        parts.extend("  " + str(s) for s in subs)
        parts.extend("  " + str(g) for g in stores)
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"subtopologies": [s.to_dict() for s in self.subtopologies],
                "global_stores": [g.to_dict() for g in self.global_stores]}
