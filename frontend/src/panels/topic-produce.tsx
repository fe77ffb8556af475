// Produce one test record: key and value typed as text for their serdes, an optional
// partition and headers. Needs the operator role; disabled with the reason otherwise.
import { type FormEvent, useState } from "react";
import { produceRecord } from "../api/connections-topics";
import { ErrorMessage } from "../components/feedback";
import { parseTyped } from "../lib/topic-browser";
import type { ProducedRecord, SerdeName, TopicInfo } from "../types/topics";
import { Field, SerdeSelect } from "./topic-records";

interface HeaderRow {
  id: number;
  key: string;
  value: string;
}

export function TopicProduceForm({
  connectionId,
  topic,
  refusal,
  onProduced,
}: {
  connectionId: number;
  topic: TopicInfo;
  refusal: string | null;
  onProduced(): void;
}) {
  const [key, setKey] = useState("");
  const [noKey, setNoKey] = useState(false);
  const [keySerde, setKeySerde] = useState<SerdeName>("string");
  const [value, setValue] = useState("");
  const [tombstone, setTombstone] = useState(false);
  const [valueSerde, setValueSerde] = useState<SerdeName>("json");
  const [partition, setPartition] = useState("");
  const [headers, setHeaders] = useState<HeaderRow[]>([]);
  const [nextHeaderId, setNextHeaderId] = useState(1);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [sending, setSending] = useState(false);
  const [produced, setProduced] = useState<ProducedRecord | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProduced(null);
    const parsedKey = parseTyped(key, keySerde, noKey);
    if (!parsedKey.ok) return setProblem(`Key: ${parsedKey.error}`);
    const parsedValue = parseTyped(value, valueSerde, tombstone);
    if (!parsedValue.ok) return setProblem(`Value: ${parsedValue.error}`);
    const named = headers.filter((h) => h.key.trim() !== "");
    setProblem(null);
    setError(null);
    setSending(true);
    try {
      const answer = await produceRecord(connectionId, topic.name, {
        key: parsedKey.value,
        value: parsedValue.value,
        key_serde: keySerde,
        value_serde: valueSerde,
        ...(partition !== "" ? { partition: Number(partition) } : {}),
        headers: named.map((h) => ({ key: h.key.trim(), value: h.value })),
      });
      setProduced(answer);
      onProduced();
    } catch (reason) {
      setProduced(null);
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="topic-produce-title">
      <h2 id="topic-produce-title" className="panel__title panel__title--small">
        Produce a test record
      </h2>
      {refusal && (
        <p className="inline-warning" data-testid="produce-refusal">
          {refusal}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} aria-label="Produce a test record">
        <fieldset className="produce-form" disabled={refusal !== null || sending}>
          <div className="produce-form__part">
            <Field label="Key" htmlFor="produce-key">
              <textarea
                id="produce-key"
                className="form-control mono"
                rows={1}
                value={key}
                disabled={noKey}
                onChange={(e) => setKey(e.target.value)}
              />
            </Field>
            <Field label="Key serde" htmlFor="produce-key-serde">
              <SerdeSelect id="produce-key-serde" value={keySerde} onChange={setKeySerde} />
            </Field>
            <label className="form-check">
              <input type="checkbox" checked={noKey} onChange={(e) => setNoKey(e.target.checked)} />
              No key (null)
            </label>
          </div>
          <div className="produce-form__part">
            <Field label="Value" htmlFor="produce-value">
              <textarea
                id="produce-value"
                className="form-control mono"
                rows={3}
                value={value}
                disabled={tombstone}
                placeholder={valueSerde === "json" ? '{"field": 1}' : undefined}
                onChange={(e) => setValue(e.target.value)}
              />
            </Field>
            <Field label="Value serde" htmlFor="produce-value-serde">
              <SerdeSelect id="produce-value-serde" value={valueSerde} onChange={setValueSerde} />
            </Field>
            <label className="form-check">
              <input type="checkbox" checked={tombstone} onChange={(e) => setTombstone(e.target.checked)} />
              Tombstone (null value)
            </label>
          </div>
          <div className="form-row">
            <Field label="Partition" htmlFor="produce-partition" hint="by the key's hash when left to Kafka">
              <select id="produce-partition" className="form-control" value={partition} onChange={(e) => setPartition(e.target.value)}>
                <option value="">Chosen by Kafka</option>
                {topic.partitions.map((p) => (
                  <option key={p.partition} value={p.partition}>
                    {p.partition}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <div className="produce-form__headers">
            <span className="form-label">Headers</span>
            {headers.map((h, index) => (
              <div key={h.id} className="produce-form__header">
                <input
                  className="form-control mono"
                  aria-label={`Header ${index + 1} name`}
                  placeholder="name"
                  value={h.key}
                  onChange={(e) => setHeaders((rows) => rows.map((r) => (r.id === h.id ? { ...r, key: e.target.value } : r)))}
                />
                <input
                  className="form-control mono"
                  aria-label={`Header ${index + 1} value`}
                  placeholder="value (UTF-8 text)"
                  value={h.value}
                  onChange={(e) => setHeaders((rows) => rows.map((r) => (r.id === h.id ? { ...r, value: e.target.value } : r)))}
                />
                <button
                  type="button"
                  className="button button--ghost button--small"
                  aria-label={`Remove header ${index + 1}`}
                  onClick={() => setHeaders((rows) => rows.filter((r) => r.id !== h.id))}
                >
                  Remove
                </button>
              </div>
            ))}
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => {
                setHeaders((rows) => [...rows, { id: nextHeaderId, key: "", value: "" }]);
                setNextHeaderId((n) => n + 1);
              }}
            >
              Add header
            </button>
          </div>
          <div className="button-row">
            <button type="submit" className="button button--primary" title={refusal ?? undefined}>
              {sending ? "Producing…" : "Produce"}
            </button>
          </div>
        </fieldset>
      </form>
      {problem && (
        <p className="inline-error" role="alert">
          {problem}
        </p>
      )}
      {error && <ErrorMessage error={error} />}
      {produced && (
        <p className="ok-line" role="status" data-testid="produced">
          Written to partition {produced.partition} at offset {produced.offset}.
        </p>
      )}
    </section>
  );
}
