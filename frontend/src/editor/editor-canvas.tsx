// The editable canvas: drop nodes from the palette, connect ports (refusing a wrong
// kind with the reason), drag a port into empty space to pick a node that fits,
// select, delete, copy, paste, undo and redo from the keyboard.
import {
  type Connection,
  type FinalConnectionState,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { type DragEvent, type KeyboardEvent, useCallback, useContext, useRef, useState } from "react";
import { type Fragment, type Suggestion, compatibleEntries, copyFragment, newNode, pasteFragment, uniqueEdgeId } from "../lib/editing";
import { toDocumentEdge, toDocumentNode } from "../lib/graph";
import { checkConnection } from "../lib/port-rules";
import { CANVAS_PROPS, CanvasChrome } from "../components/canvas-chrome";
import { useCanvasStore, useCanvasStoreApi } from "../store/canvas-context";
import type { CatalogEntry } from "../types/catalog";
import type { AppEdge, AppNode } from "../types/flow";
import { EditorConnectionLine, PortKindsContext } from "./connection-line";
import { NODE_TYPE_MIME } from "./palette";
import { QuickAdd } from "./quick-add";

interface PendingQuickAdd {
  screen: { x: number; y: number };
  flow: { x: number; y: number };
  nodeId: string;
  handleId: string;
  outward: boolean;
  suggestions: Suggestion[];
}

/** What the keyboard shortcuts copy, shared by every editor of the page. */
let clipboard: Fragment | null = null;

export function EditorCanvas({
  label,
  entries,
  readOnly,
}: {
  label: string;
  entries: readonly CatalogEntry[];
  readOnly: boolean;
}) {
  const store = useCanvasStoreApi();
  const nodes = useCanvasStore((s) => s.nodes);
  const edges = useCanvasStore((s) => s.edges);
  const onNodesChange = useCanvasStore((s) => s.onNodesChange);
  const onEdgesChange = useCanvasStore((s) => s.onEdgesChange);
  const reference = useContext(PortKindsContext);
  const { screenToFlowPosition } = useReactFlow();
  const [notice, setNotice] = useState<{ text: string; refusal: boolean } | null>(null);
  const [quickAdd, setQuickAdd] = useState<PendingQuickAdd | null>(null);
  const frame = useRef<HTMLElement>(null);
  const noticeTimer = useRef<number | undefined>(undefined);
  // Fit a loaded graph once; an empty canvas keeps its zoom while the first nodes arrive.
  const [fitOnLoad] = useState(() => store.getState().nodes.length > 0);

  const tell = useCallback((text: string, refusal = true) => {
    setNotice({ text, refusal });
    window.clearTimeout(noticeTimer.current);
    noticeTimer.current = window.setTimeout(() => setNotice(null), 6000);
  }, []);

  const addEntry = useCallback(
    (entry: CatalogEntry, position: { x: number; y: number }) => {
      const taken = new Set(store.getState().nodes.map((n) => n.id));
      const node = newNode(entry, position, taken);
      store.getState().addNodes([node]);
      return node;
    },
    [store],
  );

  const verdict = useCallback(
    (c: Connection | AppEdge) => {
      const s = store.getState();
      return checkConnection(s.nodes, s.edges, c, reference);
    },
    [store, reference],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const v = verdict(c);
      if (!v.ok) {
        tell(v.reason);
        return;
      }
      const s = store.getState();
      s.addEdge(
        toDocumentEdge({ ...c, id: uniqueEdgeId(new Set(s.edges.map((e) => e.id))) }),
      );
    },
    [store, tell, verdict],
  );

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (readOnly || !state.fromHandle || !state.fromNode) return;
      if (state.toHandle && state.toNode && state.isValid === false) {
        const outward = state.fromHandle.type === "source";
        const v = verdict(
          outward
            ? { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? null, target: state.toNode.id, targetHandle: state.toHandle.id ?? null }
            : { source: state.toNode.id, sourceHandle: state.toHandle.id ?? null, target: state.fromNode.id, targetHandle: state.fromHandle.id ?? null },
        );
        if (!v.ok) tell(v.reason);
        return;
      }
      if (state.toNode) return;
      const point = "changedTouches" in event ? event.changedTouches[0]! : event;
      const outward = state.fromHandle.type === "source";
      const node = store.getState().nodes.find((n) => n.id === state.fromNode!.id);
      const ports = outward ? node?.data.outputs : node?.data.inputs;
      const port = ports?.find((p) => p.name === state.fromHandle!.id);
      if (!port) return;
      const bounds = frame.current?.getBoundingClientRect();
      setQuickAdd({
        screen: { x: point.clientX - (bounds?.left ?? 0), y: point.clientY - (bounds?.top ?? 0) },
        flow: screenToFlowPosition({ x: point.clientX, y: point.clientY }),
        nodeId: state.fromNode.id,
        handleId: port.name,
        outward,
        suggestions: compatibleEntries(entries, port.kind, outward ? "output" : "input"),
      });
    },
    [entries, readOnly, screenToFlowPosition, store, tell, verdict],
  );

  const pick = (pending: PendingQuickAdd, suggestion: Suggestion) => {
    setQuickAdd(null);
    const node = addEntry(suggestion.entry, pending.flow);
    const s = store.getState();
    const edge = pending.outward
      ? { source: pending.nodeId, sourceHandle: pending.handleId, target: node.id, targetHandle: suggestion.port }
      : { source: node.id, sourceHandle: suggestion.port, target: pending.nodeId, targetHandle: pending.handleId };
    const v = checkConnection(s.nodes, s.edges, edge, reference);
    if (!v.ok) {
      tell(v.reason);
      return;
    }
    s.addEdge(toDocumentEdge({ ...edge, id: uniqueEdgeId(new Set(s.edges.map((e) => e.id))) }));
  };

  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(NODE_TYPE_MIME);
    if (!type || readOnly) return;
    event.preventDefault();
    const entry = entries.find((e) => e.type === type);
    if (entry) addEntry(entry, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    if (target.closest("input, textarea, select, [contenteditable=true], .cm-editor")) return;
    const mod = event.ctrlKey || event.metaKey;
    const s = store.getState();
    const key = event.key.toLowerCase();
    if (mod && key === "a") {
      event.preventDefault();
      s.selectAll();
      return;
    }
    if (mod && key === "c") {
      const ids = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      if (ids.size === 0) return;
      clipboard = copyFragment(s.nodes.map(toDocumentNode), s.edges.map(toDocumentEdge), ids);
      tell(`Copied ${ids.size} node${ids.size === 1 ? "" : "s"}.`, false);
      return;
    }
    if (readOnly) return;
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      s.removeSelected();
    } else if (mod && key === "v" && clipboard) {
      event.preventDefault();
      const pasted = pasteFragment(clipboard, new Set(s.nodes.map((n) => n.id)), new Set(s.edges.map((e) => e.id)));
      s.addNodes(pasted.nodes, pasted.edges);
    } else if (mod && key === "x") {
      const ids = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      if (ids.size === 0) return;
      clipboard = copyFragment(s.nodes.map(toDocumentNode), s.edges.map(toDocumentEdge), ids);
      s.removeSelected();
    }
  };

  return (
    <section
      ref={frame}
      className="canvas canvas--editor"
      aria-label={label}
      onKeyDown={onKeyDown}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(NODE_TYPE_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "move";
        }
      }}
      onDrop={onDrop}
      data-testid="editor-canvas"
    >
      <ReactFlow<AppNode, AppEdge>
        nodes={nodes}
        edges={edges}
        {...CANVAS_PROPS}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={(c) => verdict(c).ok}
        connectionLineComponent={EditorConnectionLine}
        onPaneClick={() => setQuickAdd(null)}
        nodesConnectable={!readOnly}
        nodesDraggable={!readOnly}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        fitView={fitOnLoad}
      >
        <CanvasChrome />
      </ReactFlow>
      {nodes.length === 0 && (
        <p className="canvas__hint">Drag a source from the palette to start, or click a node type to add it.</p>
      )}
      {quickAdd && (
        <QuickAdd
          at={quickAdd.screen}
          suggestions={quickAdd.suggestions}
          portLabel={`'${quickAdd.nodeId}' ${quickAdd.outward ? "output" : "input"} '${quickAdd.handleId}'`}
          onPick={(s) => pick(quickAdd, s)}
          onClose={() => setQuickAdd(null)}
        />
      )}
      <div
        className={`canvas__notice${notice && !notice.refusal ? " canvas__notice--info" : ""}`}
        role="status"
        aria-live="polite"
        data-testid="canvas-notice"
      >
        {notice?.text}
      </div>
    </section>
  );
}
