// A connection's topics with a filter box; choosing one opens it.
import { memo, useState } from "react";
import { ErrorMessage, Spinner } from "../components/feedback";
import { formatCount } from "../lib/format";
import { filterTopics, offsetSpan } from "../lib/topic-browser";
import type { TopicInfo } from "../types/topics";

interface TopicListProps {
  topics: TopicInfo[] | undefined;
  loading: boolean;
  error: Error | undefined;
  onRetry(): void;
  selected: string | undefined;
  onSelect(name: string): void;
  /** Why the user may not create topics here; null when they may. */
  createRefusal: string | null;
  onCreate(): void;
}

export function TopicList({ topics, loading, error, onRetry, selected, onSelect, createRefusal, onCreate }: TopicListProps) {
  const [filter, setFilter] = useState("");
  const [showInternal, setShowInternal] = useState(false);
  const shown = topics ? filterTopics(topics, filter, showInternal) : [];

  return (
    <section className="panel topic-list" aria-labelledby="topic-list-title">
      <div className="panel__title-row">
        <h2 id="topic-list-title" className="panel__title panel__title--small">
          Topics
          {topics && <span className="panel__title-aside">{formatCount(topics.length)}</span>}
        </h2>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={onCreate}
          disabled={createRefusal !== null}
          title={createRefusal ?? "Create a topic on this connection"}
        >
          New topic
        </button>
      </div>
      {createRefusal && <p className="topics-hint">{createRefusal}</p>}
      <div className="topic-list__filters">
        <input
          type="search"
          className="form-control"
          placeholder="Filter by name"
          aria-label="Filter topics by name"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <label className="form-check">
          <input type="checkbox" checked={showInternal} onChange={(event) => setShowInternal(event.target.checked)} />
          Internal
        </label>
      </div>
      {loading && !topics && <Spinner label="Loading topics" />}
      {error && <ErrorMessage error={error} onRetry={onRetry} />}
      {topics && shown.length === 0 && <p className="muted topics-hint">{topics.length ? "No topic matches." : "This cluster has no topics."}</p>}
      {shown.length > 0 && (
        <ul className="topic-list__items" data-testid="topic-list">
          {shown.map((t) => (
            <TopicRow key={t.name} topic={t} selected={t.name === selected} onSelect={onSelect} />
          ))}
        </ul>
      )}
    </section>
  );
}

const TopicRow = memo(function TopicRow({ topic, selected, onSelect }: { topic: TopicInfo; selected: boolean; onSelect(name: string): void }) {
  return (
    <li>
      <button
        type="button"
        className="topic-row"
        aria-current={selected ? "true" : undefined}
        onClick={() => onSelect(topic.name)}
        data-topic={topic.name}
      >
        <span className="topic-row__name mono">{topic.name}</span>
        {topic.internal && <span className="badge topic-row__internal">internal</span>}
        <span className="topic-row__meta">
          {topic.partitions.length} {topic.partitions.length === 1 ? "partition" : "partitions"} · {formatCount(offsetSpan(topic.partitions))} offsets
        </span>
      </button>
    </li>
  );
});
