// Deployment identity, desired/observed state, connection status and Start/Stop.
import { useState } from "react";
import { ApiError } from "../api/client";
import { startDeployment, stopDeployment } from "../api/deployments";
import { BackIcon, PlayIcon, StopIcon } from "../components/icons";
import { Link } from "../components/link";
import { StateBadge } from "../components/state-badge";
import { paths } from "../lib/routes";
import { useDeploymentStore } from "../store/deployment-context";
import type { Deployment } from "../types/api";
import { ConnectionStatus } from "./connection-status";

export function DeploymentHeader({ topologyName }: { topologyName: string | null }) {
  const deployment = useDeploymentStore((s) => s.deployment);
  const setDeployment = useDeploymentStore((s) => s.setDeployment);
  const [pending, setPending] = useState<"start" | "stop" | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!deployment) return null;

  const act = async (action: "start" | "stop") => {
    setPending(action);
    setError(null);
    try {
      const call = action === "start" ? startDeployment : stopDeployment;
      setDeployment(await call(deployment.id));
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      setPending(null);
    }
  };

  const running = deployment.desired_state === "running";
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
          <span>
            {deployment.replicas} replica{deployment.replicas === 1 ? "" : "s"}
          </span>
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
        <div className="button-row">
          <button
            type="button"
            className="button button--primary"
            onClick={() => act("start")}
            disabled={running || pending !== null}
            aria-label="Start deployment"
          >
            <PlayIcon size={14} />
            {pending === "start" ? "Starting…" : "Start"}
          </button>
          <button
            type="button"
            className="button button--danger"
            onClick={() => act("stop")}
            disabled={!running || pending !== null}
            aria-label="Stop deployment"
          >
            <StopIcon size={14} />
            {pending === "stop" ? "Stopping…" : "Stop"}
          </button>
        </div>
        <ConnectionStatus />
      </div>
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
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
