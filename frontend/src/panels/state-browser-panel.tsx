// The state browser: the deployment's queryable stores and, per store, interactive
// queries against the running replicas (key lookup and range scan on key-value stores,
// window fetch on window stores, sessions of a key on session stores).
import { type FormEvent, memo, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { fetchStores, queryStore } from "../api/stores";
import { EmptyState, ErrorMessage, Spinner } from "../components/feedback";
import { AlertIcon } from "../components/icons";
import { useResource } from "../hooks/use-resource";
import { formatCount, formatRecordField } from "../lib/format";
import {
  EMPTY_QUERY,
  type EntryColumn,
  type QueryMode,
  type StoreQueryInput,
  buildStoreQuery,
  describeQueryFailure,
  entryColumns,
  entryId,
  keyHint,
  modesFor,
} from "../lib/stores";
import type { QueryableStore, StoreAnswer, StoreEntry } from "../types/stores";

export interface StateBrowserPanelProps {
  deploymentId: number;
}

const MODE_LABELS: Record<QueryMode, string> = {
  lookup: "Key lookup",
  range: "Range scan",
  window: "Window fetch",
  session: "Sessions",
};

const KIND_LABELS: Record<QueryableStore["kind"], string> = {
  "key-value": "key-value",
  window: "window",
  session: "session",
};

export function StateBrowserPanel({ deploymentId }: StateBrowserPanelProps) {
  const stores = useResource((signal) => fetchStores(deploymentId, signal), [deploymentId]);
  const [selected, setSelected] = useState<string | null>(null);
  const list = stores.data?.stores ?? [];
  const store = list.find((s) => s.name === selected) ?? list[0] ?? null;
  const selectId = useId();

  return (
    <section className="panel state-browser" aria-labelledby="state-browser-title" data-testid="state-browser">
      <h2 id="state-browser-title" className="panel__title panel__title--small">
        State stores
        {stores.data && <span className="panel__title-aside">{list.length} queryable</span>}
      </h2>
      {stores.error ? (
        <ErrorMessage error={stores.error} onRetry={stores.reload} />
      ) : !stores.data ? (
        <Spinner label="Loading stores" />
      ) : list.length === 0 ? (
        <EmptyState title="No queryable stores">This topology keeps no state that can be queried.</EmptyState>
      ) : (
        <>
          <div className="state-browser__stores">
            <label htmlFor={selectId}>Store</label>
            <select
              id={selectId}
              value={store?.name ?? ""}
              onChange={(e) => setSelected(e.target.value)}
              data-testid="state-store-select"
            >
              {list.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} ({KIND_LABELS[s.kind]})
                </option>
              ))}
            </select>
            {store && (
              <span className="muted state-browser__serdes">
                {KIND_LABELS[store.kind]}
                {store.timestamped ? ", timestamped" : ""} · keys {store.key_serde} · values {store.value_serde}
              </span>
            )}
          </div>
          {store && <StoreQuery key={store.name} deploymentId={deploymentId} store={store} />}
        </>
      )}
    </section>
  );
}

type Result =
  | { state: "idle" }
  | { state: "loading"; query: string }
  | { state: "done"; query: string; answer: StoreAnswer; at: number }
  | { state: "failed"; query: string; error: unknown };

function StoreQuery({ deploymentId, store }: { deploymentId: number; store: QueryableStore }) {
  const modes = modesFor(store.kind);
  const [input, setInput] = useState<StoreQueryInput>({ ...EMPTY_QUERY, mode: modes[0] ?? "lookup" });
  const [problem, setProblem] = useState<{ field: keyof StoreQueryInput; message: string } | null>(null);
  const [result, setResult] = useState<Result>({ state: "idle" });
  const controller = useRef<AbortController | null>(null);
  const id = useId();

  useEffect(() => () => controller.current?.abort(), []);

  const run = (query: string) => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setResult({ state: "loading", query });
    queryStore(deploymentId, store, query, mine.signal).then(
      (answer) => !mine.signal.aborted && setResult({ state: "done", query, answer, at: Date.now() }),
      (error: unknown) => !mine.signal.aborted && setResult({ state: "failed", query, error }),
    );
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const built = buildStoreQuery(store, input);
    if (!built.ok) {
      setProblem(built.problem);
      document.getElementById(`${id}-${built.problem.field}`)?.focus();
      return;
    }
    setProblem(null);
    run(built.query);
  };

  const set = (patch: Partial<StoreQueryInput>) => {
    setInput((current) => ({ ...current, ...patch }));
    setProblem(null);
  };

  const field = (name: keyof StoreQueryInput, label: string, extra: { placeholder?: string; hint?: string; type?: string } = {}) => (
    <label className="reprocess-field state-browser__field">
      <span>{label}</span>
      <input
        id={`${id}-${name}`}
        type={extra.type ?? "text"}
        value={input[name]}
        placeholder={extra.placeholder}
        onChange={(e) => set({ [name]: e.target.value })}
        aria-invalid={problem?.field === name}
        aria-describedby={problem?.field === name ? `${id}-problem` : undefined}
        spellCheck={false}
        autoComplete="off"
        title={extra.hint}
      />
    </label>
  );

  const hint = keyHint(store.key_serde);
  return (
    <div className="state-browser__query">
      {modes.length > 1 && (
        <div className="segmented" role="group" aria-label="Query">
          {modes.map((m) => (
            <button key={m} type="button" aria-pressed={input.mode === m} onClick={() => set({ mode: m })}>
              {MODE_LABELS[m]}
            </button>
          ))}
        </div>
      )}
      <form className="state-browser__form" onSubmit={submit} aria-label={`${MODE_LABELS[input.mode]} on ${store.name}`}>
        {(input.mode === "lookup" || input.mode === "session") && field("key", "Key", { placeholder: hint })}
        {input.mode === "range" && (
          <>
            {field("from", "From key (inclusive)", { placeholder: `${hint}; blank: first` })}
            {field("to", "To key (inclusive)", { placeholder: `${hint}; blank: last` })}
          </>
        )}
        {input.mode === "window" && (
          <>
            {field("key", "Key", { placeholder: `${hint}; blank: every key` })}
            {field("timeFrom", "Windows starting from", {
              placeholder: "2026-12-03T10:00, or epoch ms",
              hint: "A date-time (your zone unless one is given) or epoch milliseconds; blank: the earliest",
            })}
            {field("timeTo", "to", {
              placeholder: "blank: the latest",
              hint: "A date-time (your zone unless one is given) or epoch milliseconds; blank: the latest",
            })}
          </>
        )}
        {input.mode !== "lookup" && field("limit", "Limit", { placeholder: "100", type: "text" })}
        <button
          type="submit"
          className="button button--primary"
          disabled={result.state === "loading"}
          data-testid="state-query-run"
        >
          {result.state === "loading" ? "Querying…" : input.mode === "lookup" ? "Look up" : "Fetch"}
        </button>
      </form>
      {problem && (
        <p id={`${id}-problem`} className="inline-error" role="alert">
          {problem.message}
        </p>
      )}
      <ResultView store={store} result={result} onRetry={() => result.state === "failed" && run(result.query)} />
    </div>
  );
}

function ResultView({ store, result, onRetry }: { store: QueryableStore; result: Result; onRetry: () => void }) {
  if (result.state === "idle") return null;
  if (result.state === "loading") return <Spinner label="Asking the replicas" />;
  if (result.state === "failed") {
    const status = result.error instanceof ApiError ? result.error.status : 0;
    const message = result.error instanceof Error ? result.error.message : String(result.error);
    if (result.error instanceof ApiError && result.error.unauthenticated) {
      return <ErrorMessage error={result.error} />;
    }
    const failure = describeQueryFailure(status, message);
    return (
      <div className="alert alert--error state-browser__failure" role="alert" data-testid="state-query-error" data-status={status}>
        <AlertIcon size={18} />
        <div className="alert__body">
          <p className="alert__title">{failure.title}</p>
          <p>{failure.message}</p>
        </div>
        {failure.retry && (
          <button type="button" className="button button--secondary" onClick={onRetry}>
            Retry
          </button>
        )}
      </div>
    );
  }
  const { answer } = result;
  if ("found" in answer) {
    if (!answer.found || !answer.entry) {
      return (
        <p className="muted state-browser__none" data-testid="state-query-none">
          No entry for this key.
        </p>
      );
    }
    return <EntriesTable store={store} entries={[answer.entry]} />;
  }
  return (
    <>
      <p className="muted state-browser__count" data-testid="state-query-count">
        {formatCount(answer.entries.length)} entr{answer.entries.length === 1 ? "y" : "ies"}
        {answer.truncated ? ` (the first ${formatCount(answer.limit)}; more match: narrow the query or raise the limit)` : ""}
      </p>
      {answer.entries.length > 0 && <EntriesTable store={store} entries={answer.entries} />}
    </>
  );
}

const COLUMN_LABELS: Record<EntryColumn, string> = {
  key: "Key",
  start: "Window start",
  end: "Window end",
  value: "Value",
  timestamp: "Timestamp",
};

function EntriesTable({ store, entries }: { store: QueryableStore; entries: StoreEntry[] }) {
  const columns = entryColumns(store);
  return (
    <div className="table-scroll table-scroll--tall">
      <table className="data-table" data-testid="state-entries">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {COLUMN_LABELS[c]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <EntryRow key={entryId(entry)} entry={entry} columns={columns} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

const EntryRow = memo(function EntryRow({ entry, columns }: { entry: StoreEntry; columns: EntryColumn[] }) {
  return (
    <tr data-testid="state-entry" data-key={formatRecordField(entry.key, 200)}>
      {columns.map((c) => (
        <td key={c} className={c === "key" || c === "value" ? "mono value-cell" : "mono"} title={cellTitle(entry, c)}>
          {cellText(entry, c)}
        </td>
      ))}
    </tr>
  );
});

function cellText(entry: StoreEntry, column: EntryColumn): string {
  switch (column) {
    case "key":
      return formatRecordField(entry.key);
    case "value":
      return formatRecordField(entry.value);
    case "start":
    case "end":
    case "timestamp": {
      const ms = entry[column];
      return typeof ms === "number" ? isoOrRaw(ms) : "—";
    }
  }
}

function cellTitle(entry: StoreEntry, column: EntryColumn): string | undefined {
  if (column === "key" || column === "value") return formatRecordField(entry[column], 4000);
  const ms = entry[column];
  return typeof ms === "number" ? `${ms} ms` : undefined;
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
