// One topic's partitions with their first and end offsets.
import { formatCount } from "../lib/format";
import { offsetSpan } from "../lib/topic-browser";
import type { TopicInfo } from "../types/topics";

export function TopicPartitions({ topic, onRefresh, refreshing }: { topic: TopicInfo; onRefresh(): void; refreshing: boolean }) {
  return (
    <section className="panel" aria-labelledby="topic-partitions-title">
      <div className="panel__title-row">
        <h2 id="topic-partitions-title" className="panel__title">
          <span className="mono">{topic.name}</span>
          {topic.internal && <span className="badge topic-row__internal">internal</span>}
        </h2>
        <button type="button" className="button button--secondary button--small" onClick={onRefresh} disabled={refreshing}>
          {refreshing ? "Refreshing…" : "Refresh offsets"}
        </button>
      </div>
      <div className="table-scroll">
        <table className="data-table" data-testid="topic-partitions">
          <thead>
            <tr>
              <th scope="col" className="num">Partition</th>
              <th scope="col" className="num" title="The first offset still in the log">First offset</th>
              <th scope="col" className="num" title="The offset the next record gets">End offset</th>
              <th scope="col" className="num" title="End minus first offset; compaction and transactions leave gaps">Offsets</th>
            </tr>
          </thead>
          <tbody>
            {topic.partitions.map((p) => (
              <tr key={p.partition} data-partition={p.partition} data-low={p.low} data-high={p.high}>
                <td className="num">{p.partition}</td>
                <td className="num">{formatCount(p.low)}</td>
                <td className="num">{formatCount(p.high)}</td>
                <td className="num">{formatCount(p.high - p.low)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                {topic.partitions.length} {topic.partitions.length === 1 ? "partition" : "partitions"}
              </th>
              <td className="num">{formatCount(offsetSpan(topic.partitions))}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  );
}
