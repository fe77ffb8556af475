// Reads a topic's records from an offset of one partition, from a time, or from the
// start, with the key and value serdes chosen; pages on with the API's next_offsets.
import { type FormEvent, type ReactNode, memo, useRef, useState } from "react";
import { fetchRecords } from "../api/connections-topics";
import { EmptyState, ErrorMessage, Spinner } from "../components/feedback";
import { formatRecordField } from "../lib/format";
import { mergePages, nextPageQueries, parseTimestamp } from "../lib/topic-browser";
import { type BrowsedRecord, type RecordsPage, type RecordsQuery, SERDES, type SerdeName, type TopicInfo } from "../types/topics";

type StartAt = "offset" | "time" | "start";
const LIMITS = [20, 50, 100, 500];

interface Shown {
  queries: RecordsQuery[];
  page: RecordsPage;
}

export function TopicRecords({ connectionId, topic }: { connectionId: number; topic: TopicInfo }) {
  const [startAt, setStartAt] = useState<StartAt>("start");
  const [partition, setPartition] = useState<string>(""); // "" = all partitions
  const [offset, setOffset] = useState("");
  const [time, setTime] = useState("");
  const [keySerde, setKeySerde] = useState<SerdeName>("string");
  const [valueSerde, setValueSerde] = useState<SerdeName>("string");
  const [limit, setLimit] = useState(50);
  const [formError, setFormError] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);
  // The pages read so far: the last is shown, the ones before are "Previous".
  const [history, setHistory] = useState<Shown[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);

  const shown = history[history.length - 1];
  const next = shown ? nextPageQueries(firstQuery(shown.queries), shown.page, topic.partitions) : [];

  const read = async (queries: RecordsQuery[], mode: "replace" | "push") => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setLoading(true);
    setError(null);
    try {
      const pages = await Promise.all(queries.map((q) => fetchRecords(connectionId, topic.name, q, abort.signal)));
      if (abort.signal.aborted) return;
      const page = mergePages(pages);
      setHistory((h) => (mode === "replace" ? [{ queries, page }] : [...h, { queries, page }]));
      setSelected(null);
    } catch (reason) {
      if (abort.signal.aborted) return;
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      if (!abort.signal.aborted) setLoading(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query: RecordsQuery = { limit, key_serde: keySerde, value_serde: valueSerde };
    if (partition !== "") query.partition = Number(partition);
    if (startAt === "offset") {
      if (partition === "") return setFormError("Reading from an offset needs a partition.");
      const n = Number(offset.trim());
      if (offset.trim() === "" || !Number.isInteger(n) || n < 0) return setFormError("The offset is a whole number, 0 or more.");
      query.offset = n;
    } else if (startAt === "time") {
      const ms = parseTimestamp(time);
      if (ms === null) return setFormError("Give a date and time, or milliseconds since the epoch.");
      query.timestamp = ms;
    }
    setFormError(null);
    void read([query], "replace");
  };

  const chosenPartition = topic.partitions.find((p) => String(p.partition) === partition);

  return (
    <section className="panel" aria-labelledby="topic-records-title">
      <h2 id="topic-records-title" className="panel__title panel__title--small">
        Read records
      </h2>
      <form className="records-form" onSubmit={submit} aria-label="Read records">
        <div className="segmented" role="group" aria-label="Start reading">
          {(
            [
              ["start", "From the start"],
              ["offset", "From an offset"],
              ["time", "From a time"],
            ] as const
          ).map(([value, label]) => (
            <button
              key={value}
              type="button"
              aria-pressed={startAt === value}
              onClick={() => {
                setStartAt(value);
                if (value === "offset" && partition === "") setPartition(String(topic.partitions[0]?.partition ?? 0));
              }}
            >
              {label}
            </button>
          ))}
        </div>
        <div className="form-row">
          <Field label="Partition" htmlFor="records-partition">
            <select id="records-partition" className="form-control" value={partition} onChange={(e) => setPartition(e.target.value)}>
              <option value="" disabled={startAt === "offset"}>
                All partitions
              </option>
              {topic.partitions.map((p) => (
                <option key={p.partition} value={p.partition}>
                  {p.partition}
                </option>
              ))}
            </select>
          </Field>
          {startAt === "offset" && (
            <Field
              label="Offset"
              htmlFor="records-offset"
              hint={chosenPartition ? `${chosenPartition.low} to ${Math.max(chosenPartition.low, chosenPartition.high - 1)}` : undefined}
            >
              <input
                id="records-offset"
                className="form-control"
                inputMode="numeric"
                value={offset}
                placeholder={chosenPartition ? String(chosenPartition.low) : "0"}
                onChange={(e) => setOffset(e.target.value)}
              />
            </Field>
          )}
          {startAt === "time" && (
            <Field label="From" htmlFor="records-time" hint="local time, or ms since the epoch">
              <input
                id="records-time"
                className="form-control"
                type="datetime-local"
                step="1"
                value={time}
                onChange={(e) => setTime(e.target.value)}
              />
            </Field>
          )}
          <Field label="Key as" htmlFor="records-key-serde">
            <SerdeSelect id="records-key-serde" value={keySerde} onChange={setKeySerde} />
          </Field>
          <Field label="Value as" htmlFor="records-value-serde">
            <SerdeSelect id="records-value-serde" value={valueSerde} onChange={setValueSerde} />
          </Field>
          <Field label="Records" htmlFor="records-limit">
            <select id="records-limit" className="form-control" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
              {LIMITS.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="button button--primary records-form__read" disabled={loading}>
            Read
          </button>
        </div>
        {formError && (
          <p className="inline-error" role="alert">
            {formError}
          </p>
        )}
      </form>
      {loading && <Spinner label="Reading records" />}
      {error && <ErrorMessage error={error} />}
      {shown && !loading && (
        <>
          {shown.page.records.length === 0 ? (
            <EmptyState title="No records">Nothing at or after that position (the partitions are at their end).</EmptyState>
          ) : (
            <RecordsTable records={shown.page.records} selected={selected} onSelect={setSelected} />
          )}
          <div className="records-pager">
            <span className="muted" data-testid="records-position">
              Page {history.length} · next offsets{" "}
              {Object.entries(shown.page.next_offsets)
                .map(([p, o]) => `${p}: ${o}`)
                .join(", ") || "—"}
            </span>
            <div className="button-row">
              <button
                type="button"
                className="button button--secondary"
                disabled={history.length < 2}
                onClick={() => {
                  setHistory((h) => h.slice(0, -1));
                  setSelected(null);
                }}
              >
                Previous page
              </button>
              <button type="button" className="button button--secondary" disabled={next.length === 0} onClick={() => void read(next, "push")}>
                {next.length === 0 ? "At the end" : "Next page"}
              </button>
            </div>
          </div>
        </>
      )}
    </section>
  );
}

function firstQuery(queries: RecordsQuery[]): RecordsQuery {
  // Several queries (one per partition) read all partitions; paging goes on over all of them.
  const first = queries[0]!;
  return queries.length > 1 ? { ...first, partition: undefined, limit: queries.reduce((n, q) => n + q.limit, 0) } : first;
}

export function Field({ label, htmlFor, hint, children }: { label: string; htmlFor: string; hint?: string; children: ReactNode }) {
  return (
    <div className="form-field">
      <label className="form-label" htmlFor={htmlFor}>
        {label}
      </label>
      {children}
      {hint && <span className="form-hint">{hint}</span>}
    </div>
  );
}

export function SerdeSelect({ id, value, onChange }: { id: string; value: SerdeName; onChange(serde: SerdeName): void }) {
  return (
    <select id={id} className="form-control" value={value} onChange={(e) => onChange(e.target.value as SerdeName)}>
      {SERDES.map((s) => (
        <option key={s} value={s}>
          {s === "bytes" ? "bytes (base64)" : s}
        </option>
      ))}
    </select>
  );
}

const recordId = (r: BrowsedRecord) => `${r.partition}:${r.offset}`;

function RecordsTable({ records, selected, onSelect }: { records: BrowsedRecord[]; selected: string | null; onSelect(id: string | null): void }) {
  const chosen = records.find((r) => recordId(r) === selected);
  return (
    <>
      <div className="table-scroll table-scroll--tall">
        <table className="data-table" data-testid="topic-records">
          <thead>
            <tr>
              <th scope="col" className="num">Partition</th>
              <th scope="col" className="num">Offset</th>
              <th scope="col">Timestamp</th>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col" className="num">Headers</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <RecordRow key={recordId(r)} record={r} selected={recordId(r) === selected} onSelect={onSelect} />
            ))}
          </tbody>
        </table>
      </div>
      {chosen && <RecordDetail record={chosen} onClose={() => onSelect(null)} />}
    </>
  );
}

const RecordRow = memo(function RecordRow({
  record,
  selected,
  onSelect,
}: {
  record: BrowsedRecord;
  selected: boolean;
  onSelect(id: string | null): void;
}) {
  const key = formatRecordField(record.key);
  const value = formatRecordField(record.value);
  return (
    <tr className={selected ? "is-selected" : undefined} data-testid="topic-record" data-partition={record.partition} data-offset={record.offset}>
      <td className="num">{record.partition}</td>
      <td className="num">
        <button
          type="button"
          className="link-button mono"
          aria-expanded={selected}
          aria-label={`Show record ${record.offset} of partition ${record.partition}`}
          onClick={() => onSelect(selected ? null : recordId(record))}
        >
          {record.offset}
        </button>
      </td>
      <td className="mono nowrap">{record.timestamp == null ? "—" : new Date(record.timestamp).toISOString()}</td>
      <td className="mono value-cell" title={record.key_error ?? key}>
        {record.key_error ? <span className="inline-error">{record.key_error}</span> : key}
      </td>
      <td className="mono value-cell" title={record.value_error ?? value}>
        {record.value_error ? <span className="inline-error">{record.value_error}</span> : value}
      </td>
      <td className="num">{record.headers.length}</td>
    </tr>
  );
});

function RecordDetail({ record, onClose }: { record: BrowsedRecord; onClose(): void }) {
  const pretty = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
  return (
    <div className="record-detail" role="region" aria-label={`Record ${record.offset} of partition ${record.partition}`}>
      <div className="panel__title-row">
        <h3 className="panel__title panel__title--small">
          Partition {record.partition}, offset {record.offset}
        </h3>
        <button type="button" className="button button--ghost button--small" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="record-detail__fields">
        <dt>Key</dt>
        <dd>
          <pre className="mono">{record.key_error ?? pretty(record.key)}</pre>
        </dd>
        <dt>Value</dt>
        <dd>
          <pre className="mono">{record.value_error ?? pretty(record.value)}</pre>
        </dd>
        <dt>Headers</dt>
        <dd>
          {record.headers.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="record-detail__headers">
              {record.headers.map((h, i) => (
                <li key={`${h.key}-${i}`} className="mono">
                  {h.key}: {h.value ?? "null"}
                  {h.encoding !== "utf-8" && <span className="muted"> ({h.encoding})</span>}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </div>
  );
}
