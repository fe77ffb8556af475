// Start, Stop, Scale and Restart, for users with the operator role; for the others the
// controls stay visible but disabled, with the reason beside them and in each control's
// description.
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { restartDeployment, scaleDeployment } from "../api/deployment-controls";
import { startDeployment, stopDeployment } from "../api/deployments";
import { PlayIcon, StopIcon } from "../components/icons";
import { useWorkspaceRole } from "../hooks/use-workspace-role";
import { MAX_REPLICAS, MIN_REPLICAS } from "../lib/deploy-request";
import { refusal } from "../lib/roles";
import { useDeploymentStore } from "../store/deployment-context";
import type { DeploymentRecord } from "../types/dashboard";

type Action = "start" | "stop" | "scale" | "restart";

/** How long the Restart button waits for its confirming second press. */
const CONFIRM_MS = 5000;

export function DeploymentControls() {
  const deployment = useDeploymentStore((s) => s.deployment);
  const setDeployment = useDeploymentStore((s) => s.setDeployment);
  const { role, workspaceName } = useWorkspaceRole(deployment?.workspace);
  const [pending, setPending] = useState<Action | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [replicas, setReplicas] = useState(() => String(deployment?.replicas ?? 1));
  const [confirmRestart, setConfirmRestart] = useState(false);
  const confirmTimer = useRef<number | undefined>(undefined);
  const reasonId = useId();
  const replicasId = useId();
  const replicasHelpId = useId();
  const current = deployment?.replicas;

  // Another tab or user scaled it: follow, unless the user is typing a new count.
  const typed = useRef(false);
  useEffect(() => {
    if (!typed.current && current !== undefined) setReplicas(String(current));
  }, [current]);
  useEffect(() => () => window.clearTimeout(confirmTimer.current), []);

  if (!deployment) return null;

  const denied = refusal("Starting, stopping, scaling and restarting the deployment", role, "operator", workspaceName);
  const running = deployment.desired_state === "running";
  const wanted = Number(replicas);
  const replicasValid = Number.isInteger(wanted) && wanted >= MIN_REPLICAS && wanted <= MAX_REPLICAS;

  const act = async (action: Action, call: () => Promise<DeploymentRecord>) => {
    setPending(action);
    setError(null);
    try {
      const updated = await call();
      setDeployment(updated);
      if (action === "scale") {
        typed.current = false;
        setReplicas(String(updated.replicas));
      }
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      setPending(null);
    }
  };

  const scale = (event: FormEvent) => {
    event.preventDefault();
    if (!replicasValid || wanted === current || denied) return;
    void act("scale", () => scaleDeployment(deployment.id, wanted));
  };

  const restart = () => {
    if (!confirmRestart) {
      setConfirmRestart(true);
      window.clearTimeout(confirmTimer.current);
      confirmTimer.current = window.setTimeout(() => setConfirmRestart(false), CONFIRM_MS);
      return;
    }
    window.clearTimeout(confirmTimer.current);
    setConfirmRestart(false);
    // The generation makes a retried request harmless: only a deployment still at it restarts.
    const generation = typeof deployment.generation === "number" ? deployment.generation : undefined;
    void act("restart", () => restartDeployment(deployment.id, generation));
  };

  const busy = pending !== null;
  const describedBy = denied ? reasonId : undefined;
  const restartTitle = denied ?? (running ? "Restart every replica (a new generation)" : "Only a running deployment restarts");

  return (
    <div className="deployment-controls">
      <div className="button-row">
        <button
          type="button"
          className="button button--primary"
          onClick={() => act("start", () => startDeployment(deployment.id))}
          disabled={running || busy || denied !== null}
          aria-label="Start deployment"
          aria-describedby={describedBy}
          title={denied ?? undefined}
        >
          <PlayIcon size={14} />
          {pending === "start" ? "Starting…" : "Start"}
        </button>
        <button
          type="button"
          className="button button--danger"
          onClick={() => act("stop", () => stopDeployment(deployment.id))}
          disabled={!running || busy || denied !== null}
          aria-label="Stop deployment"
          aria-describedby={describedBy}
          title={denied ?? undefined}
        >
          <StopIcon size={14} />
          {pending === "stop" ? "Stopping…" : "Stop"}
        </button>
        <button
          type="button"
          className={`button ${confirmRestart ? "button--danger" : "button--secondary"}`}
          onClick={restart}
          disabled={!running || busy || denied !== null}
          aria-label={confirmRestart ? "Confirm restarting every replica" : "Restart deployment"}
          aria-describedby={describedBy}
          title={restartTitle}
          data-testid="restart-deployment"
        >
          <RestartIcon />
          {pending === "restart" ? "Restarting…" : confirmRestart ? "Confirm restart" : "Restart"}
        </button>
      </div>
      <form className="scale-form" onSubmit={scale} aria-label="Scale the deployment">
        <label htmlFor={replicasId} className="scale-form__label">
          Replicas
        </label>
        <input
          id={replicasId}
          className="input scale-form__input"
          type="number"
          inputMode="numeric"
          min={MIN_REPLICAS}
          max={MAX_REPLICAS}
          step={1}
          required
          value={replicas}
          onChange={(e) => {
            typed.current = true;
            setReplicas(e.target.value);
          }}
          disabled={denied !== null || busy}
          aria-invalid={!replicasValid}
          aria-describedby={[replicasHelpId, describedBy].filter(Boolean).join(" ")}
          title={denied ?? `${MIN_REPLICAS} to ${MAX_REPLICAS} replicas`}
          data-testid="scale-replicas"
        />
        <button
          type="submit"
          className="button button--secondary"
          disabled={denied !== null || busy || !replicasValid || wanted === current}
          aria-label="Apply replica count"
          aria-describedby={describedBy}
          title={denied ?? (wanted === current ? "The deployment already has this many replicas" : undefined)}
        >
          {pending === "scale" ? "Applying…" : "Apply"}
        </button>
        <span id={replicasHelpId} className="visually-hidden">
          Whole number from {MIN_REPLICAS} to {MAX_REPLICAS}; the deployment has {current}.
        </span>
      </form>
      {denied && (
        <p id={reasonId} className="controls-note" data-testid="controls-refusal">
          {denied}
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function RestartIcon() {
  return (
    <svg width={14} height={14} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d="M20 11a8 8 0 1 0-2.3 5.7" />
      <path d="M20 4v7h-7" />
    </svg>
  );
}
