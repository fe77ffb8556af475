// "Broker unreachable": replicas that have lost every connection to Kafka say so in
// their metrics; they keep retrying and resume by themselves, which the banner says too.
import { useNow } from "../hooks/use-now";
import { formatAgo } from "../lib/format";
import { useDeploymentStore } from "../store/deployment-context";

export function BrokerStatus() {
  const outage = useDeploymentStore((s) => s.merged.brokerOutage);
  const now = useNow();
  if (!outage) return null;
  const who = outage.replicas.length === 1 ? `replica ${outage.replicas[0]}` : `replicas ${outage.replicas.join(", ")}`;
  return (
    <div className="alert alert--error dashboard-header__error" role="alert" data-testid="broker-unreachable">
      <div className="alert__body">
        <p className="alert__title">
          Broker unreachable ({who}){outage.since !== null ? `, lost ${formatAgo(outage.since, now)}` : ""}
        </p>
        <p>
          Processing is paused, not failed: the replicas keep retrying and resume where they left off when the
          broker answers again.
        </p>
        {outage.detail && <pre className="alert__pre">{outage.detail}</pre>}
      </div>
    </div>
  );
}
