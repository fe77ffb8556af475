// The topic browser: pick a connection, list its topics, inspect one topic's partitions,
// read its records from an offset or a time, and produce a test record.
import { useCallback, useEffect, useState } from "react";
import { fetchConnectionList, fetchMeWithWorkspaces, fetchTopics } from "../api/connections-topics";
import { EmptyState, ErrorMessage, Spinner } from "../components/feedback";
import { useResource } from "../hooks/use-resource";
import { refusal, roleIn } from "../lib/roles";
import { TopicCreateForm } from "../panels/topic-create";
import { TopicList } from "../panels/topic-list";
import { TopicPartitions } from "../panels/topic-partitions";
import { TopicProduceForm } from "../panels/topic-produce";
import { TopicRecords } from "../panels/topic-records";
import type { Connection, TopicInfo } from "../types/topics";

/** Reads and keeps `?connection=&topic=` so a browsed topic can be linked to and reloaded. */
function useSearchSelection(): [number | undefined, string | undefined, (connection: number | undefined, topic: string | undefined) => void] {
  const read = () => {
    const params = new URLSearchParams(window.location.search);
    const connection = Number(params.get("connection"));
    return { connection: Number.isInteger(connection) && connection > 0 ? connection : undefined, topic: params.get("topic") ?? undefined };
  };
  const [selection, setSelection] = useState(read);
  const update = useCallback((connection: number | undefined, topic: string | undefined) => {
    setSelection({ connection, topic });
    const params = new URLSearchParams();
    if (connection !== undefined) params.set("connection", String(connection));
    if (topic) params.set("topic", topic);
    const search = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${search ? `?${search}` : ""}`);
  }, []);
  return [selection.connection, selection.topic, update];
}

async function loadAllTopics(connectionId: number, signal: AbortSignal): Promise<TopicInfo[]> {
  const topics: TopicInfo[] = [];
  for (let page = 1; page <= 20; page += 1) {
    const answer = await fetchTopics(connectionId, page, signal);
    topics.push(...answer.results);
    if (!answer.next) break;
  }
  return topics;
}

export function TopicsPage() {
  const me = useResource((signal) => fetchMeWithWorkspaces(signal), []);
  const connections = useResource((signal) => fetchConnectionList(signal), []);
  const [connectionParam, topicName, select] = useSearchSelection();
  const list = connections.data?.results ?? [];
  const connection: Connection | undefined = list.find((c) => c.id === connectionParam) ?? (list.length === 1 ? list[0] : undefined);

  const topics = useResource(
    (signal) => (connection ? loadAllTopics(connection.id, signal) : Promise.resolve<TopicInfo[]>([])),
    [connection?.id],
  );
  const topic = topics.data?.find((t) => t.name === topicName);
  const [creating, setCreating] = useState(false);
  useEffect(() => setCreating(false), [connection?.id]);

  const workspaceName = (id: number) => me.data?.workspaces.find((w) => w.id === id)?.name ?? `workspace ${id}`;
  const role = me.data ? roleIn(me.data, connection?.workspace) : undefined;
  const connectionWorkspace = connection ? workspaceName(connection.workspace) : undefined;
  const produceRefusal = refusal("Producing a record", role, "operator", connectionWorkspace);
  const createRefusal = refusal("Creating a topic", role, "operator", connectionWorkspace);

  return (
    <main className="page topics-page">
      <header className="page-header">
        <div className="page-header__main">
          <h1 className="page-title">Topics</h1>
          <p className="page-meta">Browse the topics of a Kafka connection, read their records and produce test records.</p>
        </div>
        <div className="topics-page__connection">
          <label htmlFor="topics-connection" className="form-label">
            Connection
          </label>
          <select
            id="topics-connection"
            className="form-control"
            value={connection?.id ?? ""}
            onChange={(event) => select(event.target.value ? Number(event.target.value) : undefined, undefined)}
            disabled={list.length === 0}
          >
            <option value="">Choose a connection…</option>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({workspaceName(c.workspace)}) · {c.bootstrap_servers}
              </option>
            ))}
          </select>
        </div>
      </header>
      {connections.loading && !connections.data && <Spinner label="Loading connections" />}
      {connections.error && <ErrorMessage error={connections.error} onRetry={connections.reload} />}
      {connections.data && list.length === 0 && (
        <EmptyState title="No connections">A workspace admin adds Kafka connections; then their topics show here.</EmptyState>
      )}
      {connections.data && list.length > 0 && !connection && (
        <EmptyState title="Choose a connection">Pick one of your workspaces' connections above to see its topics.</EmptyState>
      )}
      {connection && (
        <div className="topics-layout">
          <div className="topics-layout__list">
            <TopicList
              key={connection.id}
              topics={topics.data}
              loading={topics.loading}
              error={topics.error}
              onRetry={topics.reload}
              selected={topicName}
              onSelect={(name) => select(connection.id, name)}
              createRefusal={createRefusal}
              onCreate={() => setCreating(true)}
            />
            {creating && (
              <TopicCreateForm
                connectionId={connection.id}
                onCancel={() => setCreating(false)}
                onCreated={(created) => {
                  setCreating(false);
                  topics.reload();
                  select(connection.id, created.name);
                }}
              />
            )}
          </div>
          <div className="topics-layout__detail">
            {!topicName && <EmptyState title="No topic selected">Choose a topic to see its partitions and read its records.</EmptyState>}
            {topicName && !topic && topics.data && (
              <EmptyState title={`There is no topic ${topicName}`}>It may have been deleted, or it belongs to another connection.</EmptyState>
            )}
            {topic && (
              <>
                <TopicPartitions topic={topic} onRefresh={topics.reload} refreshing={topics.loading} />
                <TopicRecords key={`${connection.id}/${topic.name}`} connectionId={connection.id} topic={topic} />
                <TopicProduceForm
                  key={`produce-${connection.id}/${topic.name}`}
                  connectionId={connection.id}
                  topic={topic}
                  refusal={produceRefusal}
                  onProduced={topics.reload}
                />
              </>
            )}
          </div>
        </div>
      )}
    </main>
  );
}
