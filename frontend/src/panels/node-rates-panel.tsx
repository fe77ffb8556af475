// Records per second per processor, in document order, with the node each belongs to.
import { EmptyState } from "../components/feedback";
import { formatCount, formatRate } from "../lib/format";
import { useDeploymentStore } from "../store/deployment-context";

export function NodeRatesPanel({ labels }: { labels: ReadonlyMap<string, string> }) {
  const nodes = useDeploymentStore((s) => s.merged.nodes);
  const order = [...labels.keys()];
  const rank = (id: string | null) => (id === null ? order.length : order.indexOf(id));
  const rows = [...nodes].sort(
    (a, b) => rank(a.documentNode) - rank(b.documentNode) || a.name.localeCompare(b.name),
  );
  const peak = Math.max(1e-9, ...rows.map((r) => r.rate));

  return (
    <section className="panel" aria-labelledby="node-rates-title">
      <h2 id="node-rates-title" className="panel__title panel__title--small">
        Records per second by processor
      </h2>
      {rows.length === 0 ? (
        <EmptyState title="No processor metrics yet">They appear once a replica reports.</EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="node-rates">
            <thead>
              <tr>
                <th scope="col">Processor</th>
                <th scope="col" className="num">
                  rec/s
                </th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.name} data-node={row.name} data-rate={row.rate} data-total={row.total}>
                  <td>
                    <span className="mono">{row.name}</span>
                    {row.documentNode && row.documentNode !== row.name && (
                      <span className="cell-sub">of {labels.get(row.documentNode) ?? row.documentNode}</span>
                    )}
                    {row.documentNode === row.name && labels.get(row.name) !== row.name && (
                      <span className="cell-sub">{labels.get(row.name)}</span>
                    )}
                  </td>
                  <td className="num">
                    <span className="rate-bar" style={{ ["--fill" as string]: `${(row.rate / peak) * 100}%` }}>
                      {formatRate(row.rate)}
                    </span>
                  </td>
                  <td className="num">{formatCount(row.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
