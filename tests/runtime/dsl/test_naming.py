"""Generated and user-given node names, following Kafka Streams' naming rules."""

from __future__ import annotations

import pytest

from runtime import Serdes, StreamsBuilder, TopologyError
from runtime.processor import Processor, Record


def node_names(builder: StreamsBuilder) -> list[list[str]]:
    description = builder.build().describe()
    return [sorted(n.name for n in sub.nodes) for sub in description.subtopologies]


def test_a_user_name_still_uses_up_an_index() -> None:
    # NamedInternal#orElseGenerateWithPrefix: naming one node never renames the others.
    b = StreamsBuilder()
    b.stream("in", name="source").filter(lambda k, v: True, name="keep") \
        .map_values(lambda v: v).to("out")
    assert node_names(b) == [["KSTREAM-MAPVALUES-0000000002", "KSTREAM-SINK-0000000003",
                              "keep", "source"]]


def test_group_by_names_the_key_selector_and_the_repartition_topic() -> None:
    # KStreamImpl#groupBy uses the Grouped name for the key-select node; the repartition
    # topic is "<name>-repartition" and its nodes "<topic>-sink/-filter/-source".
    b = StreamsBuilder()
    b.stream("in").group_by(lambda k, v: v, name="by-word").count(name="counter",
                                                                  store="word-store")
    topology = b.build()
    names = [sorted(n.name for n in sub.nodes) for sub in topology.describe().subtopologies]
    assert names == [
        ["KSTREAM-SOURCE-0000000000", "by-word", "by-word-repartition-filter",
         "by-word-repartition-sink"],
        ["by-word-repartition-source", "counter"],
    ]
    assert {s.name for s in topology.internal_topics("app")} == {
        "app-by-word-repartition", "app-word-store-changelog"}


def test_group_by_key_without_key_change_does_not_repartition() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: True).group_by_key().count(store="c")
    topology = b.build()
    assert topology.sub_topology_ids() == [0]
    assert [s.kind for s in topology.internal_topics("app")] == ["changelog"]


@pytest.mark.parametrize("op", ["map", "flat_map", "select_key", "process"])
def test_key_changing_operations_repartition_before_grouping(op: str) -> None:
    b = StreamsBuilder()
    stream = b.stream("in")

    class Identity(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record)

    changed = {
        "map": lambda: stream.map(lambda k, v: (v, v)),
        "flat_map": lambda: stream.flat_map(lambda k, v: [(v, v)]),
        "select_key": lambda: stream.select_key(lambda k, v: v),
        "process": lambda: stream.process(Identity),
    }[op]()
    changed.map_values(lambda v: v).group_by_key().count()
    assert b.build().sub_topology_ids() == [0, 1]


def test_process_with_a_name_does_not_use_an_index() -> None:
    # KStreamImpl#process(supplier, Named, ...) takes the name as is.
    class Identity(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record)

    b = StreamsBuilder()
    b.stream("in").process(Identity, name="custom").to("out")
    assert node_names(b) == [["KSTREAM-SINK-0000000001", "KSTREAM-SOURCE-0000000000", "custom"]]


def test_reduce_and_aggregate_generate_their_own_store_names() -> None:
    b = StreamsBuilder()
    grouped = b.stream("in").group_by_key(key_serde=Serdes.string())
    grouped.reduce(lambda a, v: a + v)
    grouped.aggregate(lambda: 0, lambda k, v, a: a + 1)
    stores = sorted(s for sub in b.build().describe().subtopologies
                    for n in sub.nodes for s in n.stores)
    assert stores == ["KSTREAM-AGGREGATE-STATE-STORE-0000000003",
                      "KSTREAM-REDUCE-STATE-STORE-0000000001"]


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "x" * 250, ".."])
def test_illegal_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        StreamsBuilder().stream("in", name=bad)


def test_duplicate_names_are_refused() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: True, name="same").filter(lambda k, v: True, name="same")
    with pytest.raises(TopologyError, match="same is already added"):
        b.build()


def test_streams_of_the_same_topic_share_one_source() -> None:
    # InternalStreamsBuilder#mergeDuplicateSourceNodes
    b = StreamsBuilder()
    b.stream("in").to("a")
    b.stream("in").to("b")
    description = b.build().describe()
    sources = [n for sub in description.subtopologies for n in sub.nodes if n.kind == "source"]
    assert len(sources) == 1
    assert sources[0].successors == ("KSTREAM-SINK-0000000001", "KSTREAM-SINK-0000000003")


def test_overlapping_but_different_subscriptions_are_refused() -> None:
    b = StreamsBuilder()
    b.stream(["a", "b"]).to("x")
    b.stream(["a"]).to("y")
    with pytest.raises(TopologyError, match="overlapping"):
        b.build()


def test_callables_are_checked_when_the_operator_is_added() -> None:
    with pytest.raises(TypeError, match="predicate must be callable"):
        StreamsBuilder().stream("in").filter("not a function")  # type: ignore[arg-type]
