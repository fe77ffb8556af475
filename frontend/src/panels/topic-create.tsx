// Create a topic on the connection (operators).
import { type FormEvent, useState } from "react";
import { createTopic } from "../api/connections-topics";
import { ErrorMessage } from "../components/feedback";
import type { TopicInfo } from "../types/topics";
import { Field } from "./topic-records";

export function TopicCreateForm({
  connectionId,
  onCancel,
  onCreated,
}: {
  connectionId: number;
  onCancel(): void;
  onCreated(topic: TopicInfo): void;
}) {
  const [name, setName] = useState("");
  const [partitions, setPartitions] = useState("1");
  const [replication, setReplication] = useState("1");
  const [error, setError] = useState<Error | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSending(true);
    setError(null);
    try {
      onCreated(
        await createTopic(connectionId, {
          name: name.trim(),
          partitions: Number(partitions),
          replication_factor: Number(replication),
        }),
      );
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="topic-create-title">
      <h2 id="topic-create-title" className="panel__title panel__title--small">
        New topic
      </h2>
      <form onSubmit={(event) => void submit(event)} aria-label="New topic">
        <fieldset className="produce-form" disabled={sending}>
          <Field label="Name" htmlFor="create-topic-name" hint="letters, digits, '.', '_' and '-'">
            <input
              id="create-topic-name"
              className="form-control mono"
              required
              maxLength={249}
              pattern="[A-Za-z0-9._\-]+"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </Field>
          <div className="form-row">
            <Field label="Partitions" htmlFor="create-topic-partitions">
              <input
                id="create-topic-partitions"
                className="form-control"
                type="number"
                min={1}
                max={10000}
                required
                value={partitions}
                onChange={(e) => setPartitions(e.target.value)}
              />
            </Field>
            <Field label="Replication factor" htmlFor="create-topic-replication">
              <input
                id="create-topic-replication"
                className="form-control"
                type="number"
                min={1}
                max={32}
                required
                value={replication}
                onChange={(e) => setReplication(e.target.value)}
              />
            </Field>
          </div>
          <div className="button-row">
            <button type="submit" className="button button--primary">
              {sending ? "Creating…" : "Create topic"}
            </button>
            <button type="button" className="button button--ghost" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </fieldset>
      </form>
      {error && <ErrorMessage error={error} />}
    </section>
  );
}
