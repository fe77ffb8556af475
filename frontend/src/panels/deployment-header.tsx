// Deployment identity, desired/observed state, connection status and the controls.
import { BackIcon } from "../components/icons";
import { Link } from "../components/link";
import { StateBadge } from "../components/state-badge";
import { paths } from "../lib/routes";
import { useDeploymentStore } from "../store/deployment-context";
import type { Deployment } from "../types/api";
import { BrokerStatus } from "./broker-status";
import { RebalanceStatus } from "./rebalance-status";
import { ConnectionStatus } from "./connection-status";
import { DeploymentControls } from "./deployment-controls";

export function DeploymentHeader({ topologyName }: { topologyName: string | null }) {
  const deployment = useDeploymentStore((s) => s.deployment);
  if (!deployment) return null;

  return (
    <header className="page-header dashboard-header">
      <div className="page-header__main">
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to={paths.topology(deployment.topology)} className="breadcrumb__link">
            <BackIcon size={14} />
            {topologyName ?? `Topology ${deployment.topology}`}
          </Link>
          <span aria-hidden="true">/</span>
          <span>Deployment #{deployment.id}</span>
        </nav>
        <h1 className="page-title">
          <span className="mono">{deployment.application_id}</span>
        </h1>
        <p className="page-meta">
          <span>version {deployment.version_number}</span>
          <Dot />
          <span>{deployment.processing_guarantee.replace(/_/g, " ")}</span>
          <Dot />
          <span title="What a record that cannot be read or processed does" data-testid="on-error">
            {deployment.on_error === "dead_letter"
              ? `bad records to ${deployment.dead_letter_topic}`
              : deployment.on_error === "continue"
                ? "bad records skipped"
                : "stops on a bad record"}
          </span>
          <Dot />
          <span data-testid="desired-replicas" data-replicas={deployment.replicas}>
            {deployment.replicas} replica{deployment.replicas === 1 ? "" : "s"}
          </span>
          {typeof deployment.generation === "number" && (
            <>
              <Dot />
              <span title="Each restart starts a new generation of replicas">generation {deployment.generation}</span>
            </>
          )}
          {deployment.connection_name && (
            <>
              <Dot />
              <span title="The Kafka connection it runs on">on {deployment.connection_name}</span>
            </>
          )}
          {deployment.input_topics.length > 0 && (
            <>
              <Dot />
              <span>
                in: <TopicList topics={deployment.input_topics} />
              </span>
            </>
          )}
          {deployment.output_topics.length > 0 && (
            <>
              <Dot />
              <span>
                out: <TopicList topics={deployment.output_topics} />
              </span>
            </>
          )}
        </p>
      </div>
      <div className="dashboard-header__side">
        <div
          className="state-pair"
          data-testid="deployment-state"
          data-desired={deployment.desired_state}
          data-observed={deployment.observed_state}
        >
          <StateBadge state={deployment.desired_state} label="desired" />
          <StateBadge state={deployment.observed_state} label="observed" />
        </div>
        <DeploymentControls />
        <ConnectionStatus />
      </div>
      <BrokerStatus />
      <RebalanceStatus />
      <LastError deployment={deployment} />
    </header>
  );
}

function LastError({ deployment }: { deployment: Deployment }) {
  if (!deployment.last_error) return null;
  return (
    <div className="alert alert--error dashboard-header__error" role="alert">
      <div className="alert__body">
        <p className="alert__title">The deployment reported an error</p>
        <pre className="alert__pre">{deployment.last_error}</pre>
      </div>
    </div>
  );
}

function TopicList({ topics }: { topics: string[] }) {
  return (
    <>
      {topics.map((t, i) => (
        <span key={t}>
          {i > 0 && ", "}
          <code>{t}</code>
        </span>
      ))}
    </>
  );
}

function Dot() {
  return (
    <span className="page-meta__dot" aria-hidden="true">
      ·
    </span>
  );
}
