// Consumer lag per input partition: committed offset, end offset and the difference.
import { EmptyState } from "../components/feedback";
import { formatCount } from "../lib/format";
import { useDeploymentStore } from "../store/deployment-context";

export function LagPanel() {
  const partitions = useDeploymentStore((s) => s.merged.partitions);
  const totalLag = useDeploymentStore((s) => s.merged.totalLag);
  return (
    <section className="panel" aria-labelledby="lag-title">
      <h2 id="lag-title" className="panel__title panel__title--small">
        Consumer lag
        <span className="panel__title-aside">
          total <strong data-testid="lag-total">{formatCount(totalLag)}</strong>
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
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Total lag
                </th>
                <td className="num">{formatCount(totalLag)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}
