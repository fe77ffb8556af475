// Consumer lag per input partition: committed offset, end offset, the difference, and
// how long consuming it takes at the partition's recent commit rate.
import { EmptyState } from "../components/feedback";
import { formatCount } from "../lib/format";
import { estimateLagSeconds, formatLagSeconds, partitionCommitRate, partitionKey } from "../lib/series";
import { useDeploymentStore } from "../store/deployment-context";
import { useTimelineStore } from "../store/timeline-context";

export function LagPanel() {
  const partitions = useDeploymentStore((s) => s.merged.partitions);
  const totalLag = useDeploymentStore((s) => s.merged.totalLag);
  const points = useTimelineStore((s) => s.points);
  const totalSeconds = points[points.length - 1]?.lagSeconds ?? null;
  return (
    <section className="panel" aria-labelledby="lag-title">
      <h2 id="lag-title" className="panel__title panel__title--small">
        Consumer lag
        <span className="panel__title-aside">
          total <strong data-testid="lag-total">{formatCount(totalLag)}</strong>
          {totalLag > 0 && (
            <span data-testid="lag-total-seconds" title="Total lag divided by the records processed per second over the last 30 s">
              {" "}
              ≈ {formatLagSeconds(totalSeconds)}
            </span>
          )}
        </span>
      </h2>
      {partitions.length === 0 ? (
        <EmptyState title="No partitions assigned yet">Lag shows once the consumer group has its assignment.</EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="lag-table">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" className="num">
                  Partition
                </th>
                <th scope="col" className="num">
                  Committed
                </th>
                <th scope="col" className="num">
                  End offset
                </th>
                <th scope="col" className="num">
                  Lag
                </th>
                <th
                  scope="col"
                  className="num"
                  title="Lag divided by how fast the partition's committed offset moved over the last minute"
                >
                  Catch-up
                </th>
              </tr>
            </thead>
            <tbody>
              {partitions.map((p) => (
                <tr key={`${p.topic}-${p.partition}`} data-topic={p.topic} data-partition={p.partition} data-lag={p.lag ?? ""}>
                  <td className="mono">{p.topic}</td>
                  <td className="num">{p.partition}</td>
                  <td className="num">{formatCount(p.committed)}</td>
                  <td className="num">{formatCount(p.end_offset)}</td>
                  <td className={`num ${p.lag && p.lag > 0 ? "is-lagging" : ""}`}>{formatCount(p.lag)}</td>
                  <td className="num">
                    {formatLagSeconds(estimateLagSeconds(p.lag, partitionCommitRate(points, partitionKey(p))))}
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Total lag
                </th>
                <td className="num">{formatCount(totalLag)}</td>
                <td className="num">{totalLag > 0 ? formatLagSeconds(totalSeconds) : formatLagSeconds(0)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}
