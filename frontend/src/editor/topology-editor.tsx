// The topology editor: palette, canvas and side panels around one draft document,
// validated live, saved as versions. Mounted inside the page's canvas store provider.
import { useReactFlow } from "@xyflow/react";
import { type ChangeEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { fetchConnections } from "../api/connections";
import { fetchTopicNames } from "../api/editor";
import { useExpressionFunctions } from "../hooks/use-expression-functions";
import { useTopicFields } from "../hooks/use-topic-fields";
import { saveVersion } from "../api/topologies";
import { AlertIcon } from "../components/icons";
import { useLiveValidation } from "../hooks/use-live-validation";
import { useResource } from "../hooks/use-resource";
import { useUnsavedGuard } from "../hooks/use-unsaved-guard";
import { autoLayout } from "../lib/auto-layout";
import type { CatalogIndex } from "../lib/catalog";
import { documentFileName, parseDocumentFile } from "../lib/document-file";
import { newNode } from "../lib/editing";
import { documentToFlow, flowToDocument } from "../lib/graph";
import { nodeCounts, sourceTopics } from "../lib/test-bench";
import { ProblemsPanel } from "../panels/problems-panel";
import { TestBenchPanel } from "../panels/test-bench-panel";
import { useCanvasStore, useCanvasStoreApi } from "../store/canvas-context";
import type { TopologyDetail, VersionDetail } from "../types/api";
import type { CatalogEntry } from "../types/catalog";
import type { TopologyDocument } from "../types/document";
import { EditorCanvas } from "./editor-canvas";
import { Palette } from "./palette";
import { PropertiesPanel } from "./properties-panel";
import { PythonDialog } from "./python-dialog";
import { SaveDialog } from "./save-dialog";
import { VersionsPanel } from "./versions-panel";

type Tab = "properties" | "problems" | "try" | "versions";

export function TopologyEditor({
  topology,
  base,
  catalog,
  entries,
  editRefusal,
  onSaved,
  extraTabs,
}: {
  topology: TopologyDetail;
  /** The document the draft started from (the latest version, or an empty one). */
  base: TopologyDocument;
  catalog: CatalogIndex;
  entries: readonly CatalogEntry[];
  /** Why this user may not edit, or null. */
  editRefusal: string | null;
  onSaved: (version: VersionDetail) => void;
  extraTabs?: (document: TopologyDocument) => Array<{ id: string; title: string; body: React.ReactNode }>;
}) {
  const store = useCanvasStoreApi();
  const nodes = useCanvasStore((s) => s.nodes);
  const edges = useCanvasStore((s) => s.edges);
  const problems = useCanvasStore((s) => s.problems);
  const canUndo = useCanvasStore((s) => s.history.past.length > 0);
  const canRedo = useCanvasStore((s) => s.history.future.length > 0);
  const selectedNodeId = useCanvasStore((s) => s.selectedNodeId);
  const { fitView } = useReactFlow();
  const readOnly = editRefusal !== null;
  const version = topology.latest_version;

  const document = useMemo(() => flowToDocument(base, { nodes, edges }), [base, nodes, edges]);
  const fingerprint = JSON.stringify(document);
  const [saved, setSaved] = useState(fingerprint);
  const dirty = fingerprint !== saved;
  useUnsavedGuard(dirty && !readOnly);

  const connections = useResource((signal) => fetchConnections(topology.workspace, signal), [topology.workspace]);
  const [connection, setConnection] = useState<number | null>(null);
  useEffect(() => {
    if (connection === null && connections.data?.results[0]) setConnection(connections.data.results[0].id);
  }, [connection, connections.data]);
  const topics = useResource((signal) => (connection === null ? Promise.resolve([]) : fetchTopicNames(connection, signal)), [connection]);
  const functions = useExpressionFunctions();
  // Only topics the cluster has: reading a missing one would be a 404 in the console.
  const inputTopics = useMemo(
    () => sourceTopics(document).filter((t) => topics.data?.includes(t)),
    [document, topics.data],
  );
  const fields = useTopicFields(connection ?? undefined, inputTopics);
  const formContext = useMemo(
    () => ({ topics: topics.data ?? [], expressionFields: fields, expressionFunctions: functions }),
    [topics.data, fields, functions],
  );

  const validation = useLiveValidation(document, connection);
  // A test run's counts belong to the document it ran; any change but a move voids them.
  const content = JSON.stringify(document.nodes.map(({ position: _, ...n }) => n)) + JSON.stringify(document.edges);
  useEffect(() => store.getState().setTrial(null), [content, store]);
  const errors = problems.filter((p) => p.severity === "error").length;

  const [tab, setTab] = useState<Tab | string>("properties");
  const hasTrial = useCanvasStore((s) => s.trial !== null);
  // With a test run on the canvas, a node click on the Try tab shows that node's
  // records there; otherwise it opens the node's properties.
  const stayOnTrial = tab === "try" && hasTrial;
  useEffect(() => {
    if (selectedNodeId && !stayOnTrial) setTab("properties");
  }, [selectedNodeId]); // only a new selection moves the tab
  const [saving, setSaving] = useState(false);
  const [python, setPython] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const save = async (message: string) => {
    const created = await saveVersion(topology.id, document, message);
    setSaved(fingerprint);
    setSaving(false);
    setNotice(`Saved version ${created.number}.`);
    onSaved(created);
  };

  const tidy = useCallback(() => {
    const s = store.getState();
    const boxes = s.nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? 220, height: n.measured?.height ?? 110 }));
    s.moveNodes(autoLayout(boxes, s.edges));
    window.requestAnimationFrame(() => void fitView({ padding: 0.2, duration: 300 }));
  }, [fitView, store]);

  const exportJson = () => {
    const blob = new Blob([JSON.stringify(document, null, 2) + "\n"], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const a = Object.assign(window.document.createElement("a"), { href: url, download: documentFileName(topology.name) });
    a.click();
    URL.revokeObjectURL(url);
  };

  const importJson = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    const parsed = parseDocumentFile(await file.text());
    if ("error" in parsed) {
      setNotice(`Not imported: ${parsed.error}`);
      return;
    }
    store.getState().loadGraph(documentToFlow({ ...parsed.document, name: base.name }, catalog));
    setNotice(`Imported ${file.name}: ${parsed.document.nodes.length} nodes. Save to keep it as a version.`);
    window.requestAnimationFrame(() => void fitView({ padding: 0.2 }));
  };

  // Shortcuts that work anywhere on the page, not only with the canvas focused.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      if (!mod) return;
      const key = event.key.toLowerCase();
      const typing = (event.target as HTMLElement | null)?.closest?.("input, textarea, select, .cm-editor");
      if (key === "s") {
        event.preventDefault();
        if (!readOnly) setSaving(true);
      } else if (!typing && !readOnly && key === "z") {
        event.preventDefault();
        if (event.shiftKey) store.getState().redo();
        else store.getState().undo();
      } else if (!typing && !readOnly && key === "y") {
        event.preventDefault();
        store.getState().redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [readOnly, store]);

  const extra = extraTabs?.(document) ?? [];
  const tabs: Array<{ id: string; title: string }> = [
    { id: "properties", title: "Properties" },
    { id: "problems", title: `Problems${problems.length ? ` (${problems.length})` : ""}` },
    { id: "try", title: "Try it" },
    ...extra.map(({ id, title }) => ({ id, title })),
    { id: "versions", title: "Versions" },
  ];

  return (
    <div className="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Editor">
        <button type="button" className="button button--ghost" onClick={() => store.getState().undo()} disabled={readOnly || !canUndo} aria-label="Undo" title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" className="button button--ghost" onClick={() => store.getState().redo()} disabled={readOnly || !canRedo} aria-label="Redo" title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" className="button button--ghost" onClick={() => store.getState().removeSelected()} disabled={readOnly} aria-label="Delete selected" title="Delete the selected nodes and connections (Delete)">
          Delete
        </button>
        <button type="button" className="button button--ghost" onClick={tidy} disabled={readOnly || nodes.length === 0} aria-label="Tidy up the layout">
          Tidy up
        </button>
        <span className="editor-toolbar__sep" aria-hidden="true" />
        <button type="button" className="button button--ghost" onClick={() => fileInput.current?.click()} disabled={readOnly} aria-label="Import a document">
          Import
        </button>
        <input ref={fileInput} type="file" accept=".json,application/json" hidden onChange={(e) => void importJson(e)} aria-label="Document file to import" />
        <button type="button" className="button button--ghost" onClick={exportJson} aria-label="Export the document as JSON">
          Export
        </button>
        <button type="button" className="button button--ghost" onClick={() => setPython(true)} aria-label="Export as Python" title="The draft, or the saved version when nothing changed, as a Python program">
          Python
        </button>
        <span className="editor-toolbar__status" role="status" aria-live="polite" data-testid="editor-status">
          {validation.checking ? "Checking…" : validation.error ? `Not checked: ${validation.error.message}` : errors ? (
            <span className="is-error">
              <AlertIcon size={13} /> {errors} error{errors === 1 ? "" : "s"}
            </span>
          ) : (
            <span className="is-ok">Valid</span>
          )}
          {dirty && <span className="editor-toolbar__dirty"> · unsaved changes</span>}
          {notice && <span> · {notice}</span>}
        </span>
        <label className="editor-toolbar__connection">
          <span>Topics from</span>
          <select
            value={connection ?? ""}
            onChange={(e) => setConnection(e.target.value ? Number(e.target.value) : null)}
            aria-label="Connection to check topics against"
          >
            <option value="">no connection</option>
            {connections.data?.results.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button button--primary"
          onClick={() => setSaving(true)}
          disabled={readOnly || !dirty}
          title={editRefusal ?? (dirty ? "Save a new version (Ctrl+S)" : "No changes to save")}
          aria-label="Save version"
        >
          Save version
        </button>
      </div>
      {editRefusal && <p className="inline-warning">{editRefusal} The topology is shown read-only.</p>}
      <div className="editor-layout">
        <Palette entries={entries} disabled={editRefusal} onAdd={(entry) => addAtCentre(store, entry, nodes.length)} />
        <EditorCanvas label={`Editor canvas of ${topology.name}`} entries={entries} readOnly={readOnly} />
        <aside className="sidebar editor-sidebar" aria-label="Editor panels">
          <div className="tabs" role="tablist" aria-label="Editor panels">
            {tabs.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`tabpanel-${t.id}`}
                className={`tabs__tab${tab === t.id ? " is-active" : ""}`}
                onClick={() => setTab(t.id)}
              >
                {t.title}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabs__panel">
            {tab === "properties" && <PropertiesPanel catalog={catalog} context={formContext} readOnly={readOnly} />}
            {tab === "problems" && <ProblemsPanel problems={problems} />}
            {tab === "versions" && <VersionsPanel topologyId={topology.id} latest={version?.number ?? null} catalog={catalog} />}
            {/* Kept mounted so typed records and the last run survive switching tabs. */}
            <div hidden={tab !== "try"}>
              <TestBenchPanel
                document={document}
                workspaceId={topology.workspace}
                connectionId={connection ?? undefined}
                focusNodeId={selectedNodeId}
                onResult={(result) => store.getState().setTrial(result ? nodeCounts(result) : null)}
              />
            </div>
            {extra.map((t) => (tab === t.id ? <div key={t.id}>{t.body}</div> : null))}
          </div>
        </aside>
      </div>
      {saving && (
        <SaveDialog
          open
          nextNumber={(version?.number ?? 0) + 1}
          errors={errors}
          onSave={save}
          onClose={() => setSaving(false)}
        />
      )}
      {python && (
        <PythonDialog
          topologyId={topology.id}
          versionNumber={version?.number ?? null}
          document={document}
          dirty={dirty}
          onClose={() => setPython(false)}
        />
      )}
    </div>
  );
}

/** A palette click adds the node in a free spot, cascading so clicks do not stack. */
function addAtCentre(store: ReturnType<typeof useCanvasStoreApi>, entry: CatalogEntry, count: number) {
  const taken = new Set(store.getState().nodes.map((n) => n.id));
  store.getState().addNodes([newNode(entry, { x: 60 + (count % 5) * 260, y: 60 + Math.floor(count / 5) * 150 }, taken)]);
}
