"""Word count built in the editor from an empty canvas, as a user does it.

Log in, create a topology, drag each node from the palette onto the canvas, connect the
ports (and see a wrong connection refused with the reason), fill in each node's
properties in the generated forms, watch validation turn green, save version 1, deploy
it, produce lines and see the counts Kafka Streams' WordCountDemo gives for them.
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import pytest

from tests.e2e.steps import log_in
from tests.e2e.wordcount import ensure_topic, expected_counts, produce, run_lines, wait_for_counts

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

# (node id the editor gives, palette type, canvas position)
NODES = [
    ("stream", "source.stream", (30, 40)),
    ("flat-map-values", "stream.flat_map_values", (280, 40)),
    ("filter", "stream.filter", (530, 40)),
    ("group-by", "stream.group_by", (30, 200)),
    ("count", "grouped.count", (280, 200)),
    ("to-stream", "table.to_stream", (530, 200)),
]
# The sink is added by dragging To stream's output into empty space (the quick add).
EDGES = [("stream", "flat-map-values"), ("flat-map-values", "filter"), ("filter", "group-by"),
         ("group-by", "count"), ("count", "to-stream")]


def node(page: object, node_id: str) -> object:
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')  # type: ignore[attr-defined]


def connect(page: object, source: str, target: str, source_port: str = "out", target_port: str = "in") -> None:
    out = node(page, source).locator(f'.react-flow__handle.source[data-handleid="{source_port}"]')
    into = node(page, target).locator(f'.react-flow__handle.target[data-handleid="{target_port}"]')
    out.drag_to(into)  # type: ignore[attr-defined]


def select(page: object, node_id: str) -> object:
    node(page, node_id).locator(".flow-node__label").click()  # type: ignore[attr-defined]
    properties = page.locator('[data-testid="properties"]')  # type: ignore[attr-defined]
    from playwright.sync_api import expect

    expect(properties.locator("code").first).to_have_text(node_id)
    return properties


def test_word_count_built_from_an_empty_canvas(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    run = "".join(random.choices(string.ascii_lowercase, k=6))
    input_topic, output_topic = f"editor-lines-{run}", f"editor-counts-{run}"
    ensure_topic(live_stack.kafka_bootstrap, input_topic)

    log_in(page, live_stack)
    page.get_by_role("button", name="New topology").click()
    page.get_by_label("Name").fill(f"word count {run}")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/topologies/\d+"))
    canvas = page.get_by_test_id("editor-canvas")
    expect(canvas).to_be_visible()
    artifacts.screenshot(page, "empty-canvas")

    # The palette's search keeps the types whose name matches, in every group.
    search = page.get_by_label("Search nodes")
    search.fill("flat map")
    shown = page.locator(".palette__item").evaluate_all("items => items.map(i => i.dataset.nodeType)")
    assert set(shown) == {"stream.flat_map", "stream.flat_map_values"}, shown
    search.fill("")

    box = canvas.bounding_box()
    for node_id, node_type, (x, y) in NODES:
        item = page.locator(f'.palette__item[data-node-type="{node_type}"]')
        item.drag_to(canvas, target_position={"x": x, "y": y})
        expect(node(page, node_id)).to_be_visible()
    assert box is not None
    artifacts.screenshot(page, "nodes-dropped")

    # A stream into Count's grouped input is refused with validation's reason: while the
    # line is dragged over the port (a tooltip), and when it is dropped there.
    out = node(page, "stream").locator('.react-flow__handle.source[data-handleid="out"]').bounding_box()
    into = node(page, "count").locator('.react-flow__handle.target[data-handleid="in"]').bounding_box()
    assert out and into
    page.mouse.move(out["x"] + out["width"] / 2, out["y"] + out["height"] / 2)
    page.mouse.down()
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + into["height"] / 2, steps=12)
    tip = page.get_by_test_id("connection-refused-tip")
    expect(tip).to_contain_text("takes a grouped stream, but 'stream' (Stream) gives a stream")
    artifacts.screenshot(page, "refused-while-dragging")
    page.mouse.up()
    expect(tip).to_have_count(0)
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    connect(page, "stream", "count")
    notice = page.get_by_test_id("canvas-notice")
    expect(notice).to_contain_text("takes a grouped stream, but 'stream' (Stream) gives a stream")
    expect(page.locator(".react-flow__edge")).to_have_count(0)

    for source, target in EDGES:
        connect(page, source, target)
    expect(page.locator(".react-flow__edge")).to_have_count(len(EDGES))

    # Undo takes the last connection back, redo restores it.
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(len(EDGES) - 1)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(len(EDGES))

    # Two nodes selected (the second with Ctrl+click), copied and pasted, then the paste
    # undone.
    node(page, "filter").locator(".flow-node__label").click()
    node(page, "to-stream").locator(".flow-node__label").click(modifiers=["Control"])
    expect(page.locator(".react-flow__node.selected")).to_have_count(2)
    page.keyboard.press("Control+c")
    expect(notice).to_contain_text("Copied 2 nodes.")
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node")).to_have_count(len(NODES) + 2)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(len(NODES))
    expect(page.locator(".react-flow__edge")).to_have_count(len(EDGES))

    # A port dragged into empty space offers the node types that take a stream.
    node(page, "to-stream").locator('.react-flow__handle.source[data-handleid="out"]').drag_to(
        canvas, target_position={"x": 60, "y": 380})
    quick = page.get_by_role("dialog", name=re.compile("Add a node to 'to-stream' output"))
    expect(quick.get_by_role("button", name="Filter stream.filter", exact=True)).to_be_visible()
    expect(quick.get_by_role("button", name="Count grouped.count")).to_have_count(0)  # takes a grouped stream
    quick.get_by_role("button", name="To topic sink.topic", exact=True).click()
    expect(node(page, "topic")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(len(EDGES) + 1)

    # Copy and paste a node, then delete the copy.
    select(page, "filter")
    page.get_by_test_id("editor-canvas").locator(".react-flow__pane").focus()
    node(page, "filter").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(node(page, "filter-2")).to_be_visible()
    page.keyboard.press("Delete")
    expect(node(page, "filter-2")).to_have_count(0)
    artifacts.screenshot(page, "connected")

    # The problems list (the source has no topic yet): a click shows that node's properties.
    page.get_by_role("tab", name=re.compile("^Problems")).click()
    page.get_by_test_id("problems").locator('button[title="Show node stream"]').first.click(timeout=15_000)
    expect(page.locator('[data-testid="properties"] code').first).to_have_text("stream")

    props = select(page, "stream")
    # Topics needs one item at least, so the form starts with one empty item.
    expect(props.locator("input[list]")).to_have_count(1)
    props.locator("input[list]").fill(input_topic)
    props = select(page, "flat-map-values")
    props.get_by_label("New values").fill('re_split(r"\\W+", value.lower())')
    props = select(page, "filter")
    # A typo is caught by the expression compiler as you type, shown under the field.
    props.get_by_label("Keep when").fill("len(valeu) > 0")
    expect(props.get_by_role("alert").filter(has_text="valeu")).to_be_visible(timeout=10_000)
    props.get_by_label("Keep when").fill("len(value) > 0")
    expect(props.get_by_role("alert").filter(has_text="valeu")).to_have_count(0, timeout=10_000)
    props = select(page, "group-by")
    props.get_by_label("Group key").fill("value")
    props = select(page, "topic")
    props.get_by_label("Topic", exact=True).fill(output_topic)
    props.locator("select").nth(1).select_option("long")
    artifacts.screenshot(page, "properties")

    # Tidy up lays the graph out left to right: every edge then runs rightwards.
    page.get_by_role("button", name="Tidy up the layout").click()
    page.wait_for_timeout(500)
    for source, target in [*EDGES, ("to-stream", "topic")]:
        left, right = node(page, source).bounding_box(), node(page, target).bounding_box()
        assert left and right and left["x"] + left["width"] <= right["x"], (source, target, left, right)

    status = page.get_by_test_id("editor-status")
    try:
        expect(status).to_contain_text("Valid", timeout=15_000)
    except AssertionError:
        page.get_by_role("tab", name=re.compile("Problems")).click()
        raise AssertionError(page.locator('[data-testid="problems"]').inner_text()) from None
    # Where Kafka Streams will repartition (group by a new key) and the count's store.
    expect(node(page, "group-by").get_by_test_id("repartition-node")).to_be_visible()
    expect(node(page, "count").get_by_test_id("store-chip")).to_have_text(re.compile("count-store"))

    # Try it: the lines run through the unsaved document on the server's test driver.
    lines = run_lines()
    expected = expected_counts(lines)
    page.get_by_role("tab", name="Try it").click()
    page.get_by_label("Test records").fill("\n".join(lines))
    page.get_by_role("button", name="Run test").click()
    # No record cache in the test driver: the count passes on one update per word.
    expect(node(page, "count").get_by_test_id("trial-count")).to_have_attribute(
        "data-count", str(sum(expected.values())))
    bench = page.get_by_test_id("test-bench")
    bench.locator(f'[data-testid="test-bench-node"][data-node="{output_topic}"]').click()
    rows = bench.get_by_test_id("test-bench-record")
    expect(rows).to_have_count(sum(expected.values()))
    final = {json.loads(key): json.loads(value)
             for key, value in rows.evaluate_all("rows => rows.map(r => [r.dataset.key, r.dataset.value])")}
    assert final == dict(expected)
    artifacts.screenshot(page, "tried")
    # With a run on the canvas, a node clicked there shows its records on the Try tab.
    node(page, "flat-map-values").locator(".flow-node__label").click()
    expect(page.get_by_role("tab", name="Try it")).to_have_attribute("aria-selected", "true")
    expect(bench.locator('[data-testid="test-bench-node"][data-node="flat-map-values"]')).to_have_attribute(
        "aria-pressed", "true")
    # one record per piece re_split gives, the empty first word of the third line too
    expect(rows).to_have_count(sum(len(re.split(r"\W+", line.lower())) for line in lines))
    # Stream-time control: untimed records stamped 1000, 1500, ...: stream time is the last.
    page.get_by_test_id("test-bench-auto-time").check()
    page.get_by_label("First record timestamp (ms)").fill("1000")
    page.get_by_label("Timestamp step between records (ms)").fill("500")
    page.get_by_role("button", name="Run test").click()
    expect(bench.get_by_test_id("test-bench-stream-time")).to_have_text(str(1000 + 500 * (len(lines) - 1)))
    # Records uploaded as JSON lines are added; a timestamp given is kept (stream time 9000).
    upload = artifacts.directory / "more.jsonl"
    upload.write_text('{"value": "extra words here", "timestamp": 9000}\n')
    page.get_by_label("Upload JSON lines").set_input_files(str(upload))
    expect(bench.get_by_role("status")).to_contain_text("Added more.jsonl")
    page.get_by_role("button", name="Run test").click()
    expect(bench.get_by_test_id("test-bench-stream-time")).to_have_text("9000")
    # Captured from the input topic: its records become test lines (JSON, with their
    # timestamps) and run like typed ones.
    captured = run_lines()
    produce(live_stack.kafka_bootstrap, input_topic, captured)
    bench.get_by_role("button", name="Clear", exact=True).click()
    page.get_by_label("How many records to capture").fill(str(len(captured)))
    page.get_by_role("button", name="Capture from topic").click()
    expect(bench.get_by_role("status")).to_contain_text(f"Captured {len(captured)} records from {input_topic}.")
    test_records = page.get_by_label("Test records").input_value()
    assert all(json.dumps(line) in test_records for line in captured), test_records
    page.get_by_role("button", name="Run test").click()
    expect(node(page, "count").get_by_test_id("trial-count")).to_have_attribute(
        "data-count", str(sum(expected_counts(captured).values())))
    page.get_by_role("tab", name="Properties").click()

    page.get_by_role("button", name="Save version").click()
    page.get_by_label("What changed").fill("word count from the palette")
    page.get_by_role("dialog").get_by_role("button", name="Save version 1").click()
    expect(status).to_contain_text("Saved version 1")
    expect(status).not_to_contain_text("unsaved")

    # The saved version as a Python program, and the draft as a JSON document.
    page.get_by_role("button", name="Export as Python").click()
    program = page.get_by_role("dialog").get_by_label(re.compile(r"^Python program"))
    expect(program).to_contain_text("def build_topology() -> Topology:")
    expect(program).to_contain_text(f"'{output_topic}'")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the document as JSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert {n["id"] for n in exported["nodes"]} == {n for n, _, _ in NODES} | {"topic"}
    assert len(exported["edges"]) == len(EDGES) + 1
    artifacts.screenshot(page, "saved")
    # Importing a document replaces the draft, as one step that Undo takes back.
    next(n for n in exported["nodes"] if n["id"] == "filter")["label"] = "Long words"
    imported = artifacts.directory / "imported.json"
    imported.write_text(json.dumps(exported))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import a document").click()
    chooser.value.set_files(str(imported))
    expect(node(page, "filter")).to_contain_text("Long words")
    expect(status).to_contain_text("unsaved")
    page.get_by_role("button", name="Undo").click()
    expect(node(page, "filter")).not_to_contain_text("Long words")
    expect(status).not_to_contain_text("unsaved")

    # Version 2 changes one param; the history shows it, and marks the node on the canvas.
    props = select(page, "filter")
    keep = props.locator(".cm-content").first
    keep.click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("1")
    expect(status).to_contain_text("unsaved")
    expect(node(page, "filter")).to_contain_text("len(value) > 1")
    # Leaving with unsaved changes asks first; dismissing keeps the page.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("link", name="Topologies").first.click()
    assert re.search(r"/topologies/\d+$", page.url), page.url
    # ... and so does the browser's Back button.
    editor_url = page.url
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.go_back()
    expect(page).to_have_url(editor_url)
    expect(node(page, "filter")).to_be_visible()
    # With unsaved changes, the program is the draft's.
    page.get_by_role("button", name="Export as Python").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("The unsaved draft, not the saved version 1")
    expect(dialog.get_by_label(re.compile(r"^Python program"))).to_contain_text("len(value) > 1")
    dialog.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Save version").click()
    page.get_by_label("What changed").fill("words of two letters or more")
    page.get_by_role("dialog").get_by_role("button", name="Save version 2").click()
    expect(status).to_contain_text("Saved version 2")
    page.get_by_role("tab", name="Versions").click()
    page.get_by_role("button", name="Changes since v1").click()
    diff = page.get_by_test_id("version-diff")
    expect(diff).to_contain_text("params.predicate")
    expect(diff).to_contain_text('"len(value) > 1"')
    diff.get_by_role("button", name="Mark v2's changes on the canvas").click()
    expect(node(page, "filter").locator(".flow-node")).to_have_attribute("data-diff", "changed")
    artifacts.screenshot(page, "version-2")
    # The comparison drawn on its own canvas: v2's graph, the changed filter marked.
    diff.get_by_role("button", name="Draw the comparison").click()
    drawn = page.get_by_role("dialog", name="Changes from v1 to v2").get_by_test_id("diff-canvas")
    expect(drawn.locator(".react-flow__node")).to_have_count(len(NODES) + 1)
    expect(drawn.locator('.react-flow__node[data-id="filter"] .flow-node')).to_have_attribute("data-diff", "changed")
    expect(drawn.locator(".flow-node[data-diff]")).to_have_count(1)
    artifacts.screenshot(page, "version-2-drawn")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    compare = page.get_by_role("form", name="Compare two versions")
    compare.get_by_role("button", name="Compare").click()
    expect(page.get_by_test_id("version-diff").first).to_contain_text("params.predicate")

    page.get_by_role("button", name=re.compile(r"^deploy", re.I)).click()
    # The deploy dialog: the studio's one connection is preselected; bad records are to
    # go to a dead-letter topic of our naming (the replica makes it).
    page.get_by_role("radio", name=re.compile("^Dead-letter topic")).check()
    page.get_by_label("Dead-letter topic", exact=True).fill(f"editor-dlq-{run}")
    page.get_by_test_id("deploy-submit").click()
    page.wait_for_url(re.compile(r"/deployments/\d+"), timeout=30_000)
    expect(page.get_by_test_id("on-error")).to_have_text(f"bad records to editor-dlq-{run}")
    state = page.locator('[data-testid="deployment-state"]')
    expect(state).to_have_attribute("data-observed", "running", timeout=90_000)
    from confluent_kafka.admin import AdminClient

    assert f"editor-dlq-{run}" in AdminClient({"bootstrap.servers": live_stack.kafka_bootstrap}).list_topics(
        timeout=10).topics, "the replica did not make the dead-letter topic"
    produce(live_stack.kafka_bootstrap, input_topic, lines)
    shown = wait_for_counts(page, output_topic, expected)
    artifacts.screenshot(page, "counts")
    assert shown == dict(expected)

    # A line that is not UTF-8: the source cannot read it, so it goes to the dead-letter
    # topic; the errors panel lists it, the source node is marked, the counts go on.
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": live_stack.kafka_bootstrap})
    producer.produce(input_topic, key=b"poison", value=b"\xff\xfe")
    assert producer.flush(30) == 0
    error = page.get_by_test_id("record-error")
    expect(error.first).to_be_visible(timeout=60_000)
    expect(error.first).to_contain_text("UTF-8")
    expect(error.first).not_to_contain_text("SerializationError: SerializationError")   # said once
    expect(error.first).to_contain_text(input_topic)
    expect(node(page, "stream").get_by_test_id("node-errors")).to_be_visible()
    artifacts.screenshot(page, "poison-record")
    error.first.get_by_role("link", name=f"open editor-dlq-{run}").click()
    page.wait_for_url(re.compile(r"/topics\?"))
    page.get_by_role("form", name="Read records").get_by_role("button", name="Read").click()
    dead = page.get_by_test_id("topic-record")
    expect(dead).to_have_count(1, timeout=20_000)
    expect(dead).to_contain_text("poison")
    artifacts.screenshot(page, "dead-letter-topic")
    errors = [line for line in artifacts.console if line.startswith(("[error]", "[pageerror]"))]
    assert errors == [], errors


@pytest.mark.viewport(1280, 800)
def test_editor_and_dashboard_fit_1280_by_800(page, live_stack, artifacts) -> None:
    """The smallest screen issue 7 names: nothing scrolls sideways and the editor's
    three columns and toolbar are on screen."""
    from playwright.sync_api import expect

    assert page.viewport_size == {"width": 1280, "height": 800}
    log_in(page, live_stack)
    page.get_by_role("link", name=re.compile("word count", re.I)).first.click()
    page.wait_for_url(re.compile(r"/topologies/\d+"))
    expect(page.locator(".react-flow__node")).to_have_count(8, timeout=20_000)
    for region in [page.get_by_role("navigation", name="Node palette"), page.get_by_test_id("editor-canvas"),
                   page.get_by_role("complementary", name="Editor panels"),
                   page.get_by_role("button", name="Save version")]:
        box = region.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Opening a node's form changes nothing: the draft stays equal to the saved version.
    page.locator('.react-flow__node[data-id="group-by-word"] .flow-node__label').click()
    expect(page.get_by_test_id("properties")).to_be_visible()
    page.wait_for_timeout(1000)
    expect(page.get_by_test_id("editor-status")).not_to_contain_text("unsaved")
    expect(page.get_by_role("button", name="Save version")).to_be_disabled()
    artifacts.screenshot(page, "editor-1280")
    page.get_by_role("link", name="Topologies").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
