// The Reprocess dialog: reset and replay (dry-run preview, typed confirmation, the
// operation's progress) or side by side (a candidate of a chosen version from a chosen
// start point). Also the small pieces the reprocess panel shares: a modal, the start
// point fields, API errors, the user's role, an operation followed to its end.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { ApiError } from "../api/client";
import {
  fetchOperation,
  fetchVersionList,
  planReset,
  startReset,
  startSideBySide,
} from "../api/reprocess";
import { useResource } from "../hooks/use-resource";
import { formatCount, formatDateTime } from "../lib/format";
import {
  EMPTY_START,
  type StartInput,
  applicationIdProblem,
  confirmationMatches,
  describeStartPoint,
  describeTarget,
  isOperationFinished,
  offsetDelta,
  resetBody,
  sideBySideBody,
  startPoint,
  summarizePlan,
} from "../lib/reprocess";
import { refusal, roleIn } from "../lib/roles";
import { fetchMe } from "../api/session";
import type { Me } from "../types/api";
import type { Operation, ReprocessDeployment, ResetPlan, WorkspaceRole } from "../types/reprocess";
import { AlertIcon } from "./icons";
import { Modal } from "./modal";

// -- shared pieces ---------------------------------------------------------------------

let meRequest: Promise<Me> | null = null;

function loadMe(): Promise<Me> {
  meRequest ??= fetchMe().catch((error: unknown) => {
    meRequest = null;
    throw error;
  });
  return meRequest;
}

/**
 * Why the user may not do `action` on deployments of `workspaceId` (null: allowed, or
 * not known yet; the API refuses anyway). /api/me/ is read once per page load.
 */
export function useRoleProblem(workspaceId: number, action: string, needed: WorkspaceRole = "operator"): string | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    let live = true;
    loadMe().then(
      (value) => live && setMe(value),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  if (!me) return null;
  const name = me.workspaces.find((w) => w.id === workspaceId)?.name;
  return refusal(action, roleIn(me, workspaceId), needed, name);
}

/** An operation followed until it is done or failed (GET …/operations/{id}/ each second). */
export function useOperation(initial: Operation | null, intervalMs = 1000): Operation | null {
  const [operation, setOperation] = useState<Operation | null>(initial);
  useEffect(() => setOperation(initial), [initial]);
  const id = operation?.id;
  const deployment = operation?.deployment;
  const finished = operation ? isOperationFinished(operation) : true;
  useEffect(() => {
    if (id === undefined || deployment === undefined || finished) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      fetchOperation(deployment, id, controller.signal).then(
        (next) => setOperation(next),
        // A failed poll is retried by the next render's timer.
        () => !controller.signal.aborted && setOperation((current) => (current ? { ...current } : current)),
      );
    }, intervalMs);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [id, deployment, finished, operation, intervalMs]);
  return operation;
}

/** What an API call's failure says, with the problems it names. */
export function ApiErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <div className="alert alert--error" role="alert">
      <AlertIcon size={18} />
      <div className="alert__body">
        <p className="alert__title">{error instanceof ApiError && error.status ? `Refused (${error.status})` : "Failed"}</p>
        <p>{message}</p>
        {problems.length > 0 && (
          <ul className="reprocess-problems">
            {problems.map((p, i) => (
              <li key={i}>
                {p.path && <code>{p.path}</code>} {p.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {onRetry && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Where the records start: earliest, a date-time, or a duration back. */
export function StartPointFields({
  value,
  onChange,
  legend,
  disabled,
}: {
  value: StartInput;
  onChange: (value: StartInput) => void;
  legend: string;
  disabled?: boolean;
}) {
  const id = useId();
  const parsed = startPoint(value);
  const set = (patch: Partial<StartInput>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="reprocess-fieldset" disabled={disabled}>
      <legend>{legend}</legend>
      <div className="reprocess-choices">
        <label className="reprocess-choice">
          <input type="radio" name={`${id}-mode`} checked={value.mode === "earliest"} onChange={() => set({ mode: "earliest" })} />
          Earliest
        </label>
        <label className="reprocess-choice">
          <input type="radio" name={`${id}-mode`} checked={value.mode === "datetime"} onChange={() => set({ mode: "datetime" })} />
          A date and time
        </label>
        <label className="reprocess-choice">
          <input type="radio" name={`${id}-mode`} checked={value.mode === "duration"} onChange={() => set({ mode: "duration" })} />
          A duration back
        </label>
      </div>
      {value.mode === "datetime" && (
        <div className="reprocess-row">
          <label className="reprocess-field">
            <span>Date and time</span>
            <input
              type="datetime-local"
              step={1}
              value={value.local}
              onChange={(e) => set({ local: e.target.value })}
              aria-invalid={!parsed.ok}
            />
          </label>
          <label className="reprocess-choice">
            <input type="checkbox" checked={value.utc} onChange={(e) => set({ utc: e.target.checked })} />
            UTC (else your browser's zone)
          </label>
        </div>
      )}
      {value.mode === "duration" && (
        <label className="reprocess-field">
          <span>How far back</span>
          <input
            type="text"
            value={value.duration}
            placeholder="1h30m, 2d, PT1H or seconds"
            onChange={(e) => set({ duration: e.target.value })}
            aria-invalid={!parsed.ok}
            aria-describedby={`${id}-hint`}
          />
        </label>
      )}
      <p id={`${id}-hint`} className={parsed.ok ? "reprocess-hint" : "inline-error"} aria-live="polite">
        {parsed.ok ? `Starts from ${describeStartPoint(parsed.value)}.` : parsed.message}
      </p>
    </fieldset>
  );
}

const OPERATION_TONES: Record<Operation["state"], string> = { pending: "pending", running: "pending", done: "ok", failed: "bad" };

/** An operation's state, message and times. */
export function OperationStatus({ operation }: { operation: Operation }) {
  const finished = isOperationFinished(operation);
  return (
    <div className="reprocess-operation" data-testid="reprocess-operation" data-state={operation.state} aria-live="polite">
      <p className="reprocess-operation__line">
        <span className={`badge badge--${OPERATION_TONES[operation.state]}`} data-state={operation.state}>
          <span className="badge__dot" aria-hidden="true" />
          <span className="badge__label">{operation.kind}</span>
          {operation.state}
        </span>
        <strong>
          {operation.kind === "reset" ? "Reset" : "Discard"} #{operation.id}: {operation.state}
        </strong>
        {!finished && <span className="loading__spinner" aria-hidden="true" />}
      </p>
      {operation.message && <p className={operation.state === "failed" ? "inline-error" : "muted"}>{operation.message}</p>}
      <p className="muted reprocess-operation__times">
        asked {formatDateTime(operation.created_at)}
        {operation.created_by ? ` by ${operation.created_by}` : ""}
        {operation.finished_at ? ` · finished ${formatDateTime(operation.finished_at)}` : ""}
      </p>
    </div>
  );
}

// -- the dialog --------------------------------------------------------------------------

export type ReprocessMode = "reset" | "side-by-side";

export interface ReprocessDialogProps {
  /** The deployment to reprocess, as GET /api/deployments/{id}/ answers it. */
  deployment: ReprocessDeployment;
  open: boolean;
  onClose: () => void;
  initialMode?: ReprocessMode;
  /** A side-by-side candidate was created (and started). */
  onCandidateCreated?: (candidate: ReprocessDeployment) => void;
  /** The reset operation ended (done or failed). */
  onOperationFinished?: (operation: Operation) => void;
}

export function ReprocessDialog({
  deployment,
  open,
  onClose,
  initialMode = "reset",
  onCandidateCreated,
  onOperationFinished,
}: ReprocessDialogProps) {
  const [mode, setMode] = useState<ReprocessMode>(initialMode);
  // The reset operation lives here, not in the flow, so closing the dialog neither
  // stops following it nor forgets it: reopened, the dialog shows its progress.
  const [started, setStarted] = useState<Operation | null>(null);
  const operation = useOperation(started);
  const finished = operation !== null && isOperationFinished(operation);
  const reported = useRef<number | null>(null);
  useEffect(() => {
    if (operation && finished && reported.current !== operation.id) {
      reported.current = operation.id;
      onOperationFinished?.(operation);
    }
  }, [operation, finished, onOperationFinished]);
  const close = () => {
    if (finished) setStarted(null);
    onClose();
  };
  const problem = useRoleProblem(deployment.workspace, "Reprocessing the deployment");
  const sideProblem =
    deployment.discarded_at !== null
      ? "This deployment was discarded."
      : deployment.candidate_of !== null && !deployment.live
        ? "This deployment is itself a candidate: promote or discard it first."
        : null;
  return (
    <Modal
      open={open}
      onClose={close}
      title={`Reprocess ${deployment.application_id}`}
      className="reprocess-dialog"
      testId="reprocess-dialog"
    >
      <div className="segmented reprocess-modes" role="group" aria-label="How to reprocess">
        <button type="button" aria-pressed={mode === "reset"} onClick={() => setMode("reset")}>
          Reset and replay
        </button>
        <button type="button" aria-pressed={mode === "side-by-side"} onClick={() => setMode("side-by-side")}>
          Side by side
        </button>
      </div>
      {problem && (
        <p className="reprocess-role" role="note" data-testid="reprocess-role-problem">
          {problem}
        </p>
      )}
      {mode === "reset" ? (
        <ResetFlow
          deployment={deployment}
          blocked={problem}
          onClose={close}
          operation={operation}
          onStarted={setStarted}
          onAgain={() => setStarted(null)}
        />
      ) : (
        <SideBySideFlow
          deployment={deployment}
          blocked={problem ?? sideProblem}
          onClose={close}
          onCreated={onCandidateCreated}
        />
      )}
    </Modal>
  );
}

/** A "Reprocess…" button that opens the dialog; disabled with the reason for a role too low. */
export function ReprocessLauncher(props: Omit<ReprocessDialogProps, "open" | "onClose">) {
  const [open, setOpen] = useState(false);
  const problem = useRoleProblem(props.deployment.workspace, "Reprocessing the deployment");
  const reasonId = useId();
  return (
    <>
      <button
        type="button"
        className="button button--secondary"
        onClick={() => setOpen(true)}
        disabled={problem !== null}
        title={problem ?? "Reset and replay, or run a version side by side"}
        aria-describedby={problem ? reasonId : undefined}
        data-testid="reprocess-open"
      >
        Reprocess…
      </button>
      {problem && (
        <span id={reasonId} className="visually-hidden">
          {problem}
        </span>
      )}
      <ReprocessDialog {...props} open={open} onClose={() => setOpen(false)} />
    </>
  );
}

// -- reset and replay ----------------------------------------------------------------------

type ResetStep = { step: "form" } | { step: "preview"; plan: ResetPlan };

function ResetFlow({
  deployment,
  blocked,
  onClose,
  operation,
  onStarted,
  onAgain,
}: {
  deployment: ReprocessDeployment;
  blocked: string | null;
  onClose: () => void;
  /** The reset asked for from this dialog, followed to its end. */
  operation: Operation | null;
  onStarted: (operation: Operation) => void;
  onAgain: () => void;
}) {
  const [start, setStart] = useState<StartInput>(EMPTY_START);
  const [redirects, setRedirects] = useState<Record<string, string>>({});
  const [state, setState] = useState<ResetStep>({ step: "form" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [typed, setTyped] = useState("");
  const [ticked, setTicked] = useState(false);
  const parsed = startPoint(start);
  const outputs = Object.entries(deployment.output_topic_map ?? {});

  const preview = async () => {
    if (!parsed.ok) return;
    setBusy(true);
    setError(null);
    try {
      const plan = await planReset(deployment.id, resetBody(parsed.value, true, redirects));
      setTyped("");
      setTicked(false);
      setState({ step: "preview", plan });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!parsed.ok) return;
    setBusy(true);
    setError(null);
    try {
      onStarted(await startReset(deployment.id, resetBody(parsed.value, false, redirects)));
      setState({ step: "form" });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (operation) return <ResetProgress operation={operation} onAgain={onAgain} onClose={onClose} />;

  if (state.step === "preview") {
    const confirmed = confirmationMatches(typed, deployment.application_id) && ticked;
    return (
      <div className="reprocess-flow" data-testid="reset-preview">
        <PlanPreview plan={state.plan} />
        <div className="reprocess-confirm">
          <p>
            The deployment is stopped, its input offsets move as listed, its internal topics and state
            checkpoints are deleted, and it starts again (if it was running) to rebuild its state and output.
            This cannot be undone.
          </p>
          <label className="reprocess-field">
            <span>
              Type <code>{deployment.application_id}</code> to confirm
            </span>
            <input
              type="text"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              data-testid="reset-confirm-text"
            />
          </label>
          <label className="reprocess-choice">
            <input type="checkbox" checked={ticked} onChange={(e) => setTicked(e.target.checked)} data-testid="reset-confirm-tick" />
            I understand that the state and internal topics listed above are deleted.
          </label>
        </div>
        {error !== null && <ApiErrorBox error={error} />}
        <div className="modal__actions">
          <button type="button" className="button button--ghost" onClick={() => setState({ step: "form" })} disabled={busy}>
            Back
          </button>
          <button
            type="button"
            className="button button--danger"
            onClick={confirm}
            disabled={!confirmed || busy || blocked !== null}
            title={blocked ?? (confirmed ? undefined : "Type the application id and tick the box first")}
            data-testid="reset-confirm"
          >
            {busy ? "Starting…" : "Reset and replay"}
          </button>
        </div>
      </div>
    );
  }

  return (
    <div className="reprocess-flow" data-testid="reset-form">
      <p className="reprocess-lead">
        Replay the input from an earlier point: the group&apos;s offsets move back, the internal topics and
        state are deleted, and the application rebuilds its state and output from there. First a dry run
        shows everything that would change.
      </p>
      <StartPointFields legend="Replay from" value={start} onChange={setStart} disabled={busy} />
      {outputs.length > 0 && (
        <details className="reprocess-details">
          <summary>Write to new output topics (optional)</summary>
          <p className="muted">Leave blank to keep writing where it writes now. A new topic is created with the partitions of the current one.</p>
          {outputs.map(([sink, current]) => (
            <label key={sink} className="reprocess-field">
              <span>
                <code>{sink}</code> now writes <code>{current}</code>; new topic
              </span>
              <input
                type="text"
                value={redirects[sink] ?? ""}
                placeholder={`${current}-v2`}
                onChange={(e) => setRedirects({ ...redirects, [sink]: e.target.value })}
              />
            </label>
          ))}
        </details>
      )}
      {error !== null && <ApiErrorBox error={error} />}
      <div className="modal__actions">
        <button type="button" className="button button--ghost" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--primary"
          onClick={preview}
          disabled={!parsed.ok || busy || blocked !== null}
          title={blocked ?? undefined}
          data-testid="reset-preview-button"
        >
          {busy ? "Planning…" : "Preview the reset (dry run)"}
        </button>
      </div>
    </div>
  );
}

/** Everything the dry run says the reset would change. */
export function PlanPreview({ plan }: { plan: ResetPlan }) {
  const summary = useMemo(() => summarizePlan(plan), [plan]);
  return (
    <div className="reprocess-plan" data-testid="reset-plan">
      <dl className="reprocess-facts">
        <dt>Consumer group</dt>
        <dd className="mono">{plan.group}</dd>
        <dt>Target</dt>
        <dd>{describeTarget(plan.target)}</dd>
        <dt>Input partitions</dt>
        <dd>
          {summary.partitions} ({summary.changed} change
          {summary.offsetsBack > 0 ? `, ${formatCount(summary.offsetsBack)} offsets back` : ""}
          {summary.offsetsForward > 0 ? `, ${formatCount(summary.offsetsForward)} forward` : ""})
        </dd>
      </dl>

      <h3 className="reprocess-subtitle">Input offsets</h3>
      <div className="table-scroll reprocess-plan__table">
        <table className="data-table" data-testid="reset-plan-offsets">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col" className="num">
                Partition
              </th>
              <th scope="col" className="num">
                Committed now
              </th>
              <th scope="col" className="num">
                After reset
              </th>
              <th scope="col" className="num">
                Change
              </th>
            </tr>
          </thead>
          <tbody>
            {summary.topics.flatMap((t) =>
              t.partitions.map((p) => {
                const delta = offsetDelta(p);
                return (
                  <tr key={`${p.topic}-${p.partition}`} data-topic={p.topic} data-partition={p.partition}>
                    <td className="mono">{p.topic}</td>
                    <td className="num">{p.partition}</td>
                    <td className="num">{p.committed === null ? "none" : formatCount(p.committed)}</td>
                    <td className="num">{formatCount(p.target)}</td>
                    <td className="num">{delta === null ? "new" : delta === 0 ? "—" : `${delta > 0 ? "+" : "−"}${formatCount(Math.abs(delta))}`}</td>
                  </tr>
                );
              }),
            )}
          </tbody>
        </table>
      </div>

      <div className="reprocess-plan__lists">
        <PlanList title="Internal topics deleted" items={summary.internalTopics} empty="none" testId="reset-plan-internal" />
        <PlanList title="State stores rebuilt" items={summary.stores} empty="none (stateless)" testId="reset-plan-stores" />
        <div>
          <h3 className="reprocess-subtitle">Checkpoints dropped</h3>
          <p>
            <strong>{formatCount(summary.checkpointKeys)}</strong> Redis key{summary.checkpointKeys === 1 ? "" : "s"} matching{" "}
            <code>{plan.checkpoint_key_pattern}</code>
          </p>
        </div>
      </div>
      {summary.redirects.length > 0 && (
        <>
          <h3 className="reprocess-subtitle">Output redirected</h3>
          <ul className="reprocess-list">
            {summary.redirects.map((r) => (
              <li key={r.sink_topic}>
                <code>{r.sink_topic}</code>: <code>{r.current}</code> → <code>{r.new}</code>
                {r.exists ? " (exists)" : " (created)"}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function PlanList({ title, items, empty, testId }: { title: string; items: string[]; empty: string; testId: string }) {
  return (
    <div>
      <h3 className="reprocess-subtitle">
        {title} <span className="count-pill">{items.length}</span>
      </h3>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="reprocess-list" data-testid={testId}>
          {items.map((item) => (
            <li key={item} className="mono">
              {item}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ResetProgress({
  operation,
  onAgain,
  onClose,
}: {
  operation: Operation;
  onAgain: () => void;
  onClose: () => void;
}) {
  const finished = isOperationFinished(operation);
  const result = operation.result as Partial<ResetPlan>;
  return (
    <div className="reprocess-flow" data-testid="reset-progress">
      <OperationStatus operation={operation} />
      {!finished && (
        <p className="muted">
          Stopping the replicas, waiting for the group to empty, then moving offsets and deleting state. You can
          close this dialog; the reset goes on.
        </p>
      )}
      {operation.state === "done" && Array.isArray(result.input_partitions) && (
        <p>
          Done: {result.input_partitions.length} partition{result.input_partitions.length === 1 ? "" : "s"} moved,{" "}
          {result.internal_topics?.length ?? 0} internal topic{result.internal_topics?.length === 1 ? "" : "s"} deleted,{" "}
          {formatCount(result.checkpoint_keys ?? 0)} checkpoint key{result.checkpoint_keys === 1 ? "" : "s"} dropped. Watch
          the lag fall as the application catches up.
        </p>
      )}
      <div className="modal__actions">
        {finished && (
          <button type="button" className="button button--ghost" onClick={onAgain}>
            New reset
          </button>
        )}
        <button type="button" className="button button--primary" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

// -- side by side ----------------------------------------------------------------------------

function SideBySideFlow({
  deployment,
  blocked,
  onClose,
  onCreated,
}: {
  deployment: ReprocessDeployment;
  blocked: string | null;
  onClose: () => void;
  onCreated?: (candidate: ReprocessDeployment) => void;
}) {
  const versions = useResource((signal) => fetchVersionList(deployment.topology, signal), [deployment.topology]);
  const [version, setVersion] = useState<number | null>(null);
  const [start, setStart] = useState<StartInput>(EMPTY_START);
  const [applicationId, setApplicationId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [candidate, setCandidate] = useState<ReprocessDeployment | null>(null);
  const parsed = startPoint(start);
  const idProblem = applicationIdProblem(applicationId);
  const list = versions.data?.results ?? [];
  const chosen = version ?? list[0]?.id ?? null;
  const fieldId = useId();

  const submit = useCallback(async () => {
    if (!parsed.ok || chosen === null) return;
    setBusy(true);
    setError(null);
    try {
      const created = await startSideBySide(deployment.id, sideBySideBody(chosen, parsed.value, applicationId));
      setCandidate(created);
      onCreated?.(created);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, [parsed, chosen, deployment.id, applicationId, onCreated]);

  if (candidate) {
    return (
      <div className="reprocess-flow" data-testid="side-by-side-started">
        <p className="ok-line">
          Candidate <code>{candidate.application_id}</code> (deployment #{candidate.id}, version {candidate.version_number}) is
          starting beside <code>{deployment.application_id}</code>.
        </p>
        {Object.keys(candidate.output_topic_map ?? {}).length > 0 && (
          <ul className="reprocess-list">
            {Object.entries(candidate.output_topic_map).map(([sink, topic]) => (
              <li key={sink}>
                <code>{sink}</code> → <code>{topic}</code>
              </li>
            ))}
          </ul>
        )}
        <p className="muted">Follow its catch-up and the output comparison in the Reprocess panel, then promote or discard it.</p>
        <div className="modal__actions">
          <button type="button" className="button button--primary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    );
  }

  return (
    <div className="reprocess-flow" data-testid="side-by-side-form">
      <p className="reprocess-lead">
        Run a version beside this deployment under its own application id: its own consumer group, internal
        topics and output topics (<code>&lt;topic&gt;.&lt;application id&gt;</code>). Compare the outputs, then promote it
        or discard it. The running deployment is not touched.
      </p>
      <label className="reprocess-field" htmlFor={`${fieldId}-version`}>
        <span>Version</span>
      </label>
      {versions.error ? (
        <ApiErrorBox error={versions.error} onRetry={versions.reload} />
      ) : (
        <select
          id={`${fieldId}-version`}
          value={chosen ?? ""}
          onChange={(e) => setVersion(Number(e.target.value))}
          disabled={versions.loading || busy}
          data-testid="side-by-side-version"
        >
          {versions.loading && <option value="">Loading versions…</option>}
          {list.map((v) => (
            <option key={v.id} value={v.id}>
              {`v${v.number}${v.id === deployment.version ? " (running now)" : ""}${v.message ? ` — ${v.message}` : ""}`}
            </option>
          ))}
        </select>
      )}
      <StartPointFields legend="Start from" value={start} onChange={setStart} disabled={busy} />
      <label className="reprocess-field">
        <span>Application id (optional)</span>
        <input
          type="text"
          value={applicationId}
          placeholder={`${deployment.application_id}-candidate`}
          onChange={(e) => setApplicationId(e.target.value)}
          aria-invalid={idProblem !== null}
          spellCheck={false}
        />
      </label>
      {idProblem && <p className="inline-error">{idProblem}</p>}
      {error !== null && <ApiErrorBox error={error} />}
      <div className="modal__actions">
        <button type="button" className="button button--ghost" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--primary"
          onClick={submit}
          disabled={!parsed.ok || chosen === null || idProblem !== null || busy || blocked !== null}
          title={blocked ?? undefined}
          data-testid="side-by-side-start"
        >
          {busy ? "Starting…" : "Start the candidate"}
        </button>
      </div>
      {blocked && <p className="muted">{blocked}</p>}
    </div>
  );
}
