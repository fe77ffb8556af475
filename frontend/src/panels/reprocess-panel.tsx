// Reprocessing on the dashboard: a side-by-side candidate's catch-up (from its lag),
// the output comparison with the live deployment, Promote / Discard with confirmation;
// and the deployment's latest reset or discard operation while it runs.
import { memo, useCallback, useEffect, useMemo, useState } from "react";
import {
  discardCandidate,
  fetchComparison,
  fetchLag,
  fetchOperations,
  fetchTopologyDeployments,
  promoteCandidate,
} from "../api/reprocess";
import { EmptyState, Spinner } from "../components/feedback";
import {
  ApiErrorBox,
  OperationStatus,
  useOperation,
  useRoleProblem,
} from "../components/reprocess-dialog";
import { Modal } from "../components/modal";
import { formatCount, formatRecordField } from "../lib/format";
import {
  type CatchUp,
  type CatchUpRow,
  catchUp,
  formatPercent,
  isOperationFinished,
  isPendingCandidate,
  pendingCandidateOf,
  progressPercent,
  topicVerdict,
} from "../lib/reprocess";
import type {
  Comparison,
  ComparisonBucket,
  DeploymentLag,
  Operation,
  ReprocessDeployment,
  TopicComparison,
} from "../types/reprocess";

export interface ReprocessPanelProps {
  /** The deployment the dashboard shows: a live one (its candidate is looked up) or a candidate. */
  deployment: ReprocessDeployment;
  /** Bump to look for a candidate again at once (e.g. after the dialog created one). */
  refreshKey?: number;
  /** After Promote (the promoted candidate) or a finished discard (the candidate, discarded). */
  onDeploymentChanged?: (deployment: ReprocessDeployment) => void;
  /** Render nothing when there is no candidate and no operation to show. */
  hideWhenEmpty?: boolean;
  /** Poll intervals (ms). */
  lagIntervalMs?: number;
  comparisonIntervalMs?: number;
}

const LIST_INTERVAL_MS = 10_000;

export function ReprocessPanel({
  deployment,
  refreshKey = 0,
  onDeploymentChanged,
  hideWhenEmpty = false,
  lagIntervalMs = 3000,
  comparisonIntervalMs = 15_000,
}: ReprocessPanelProps) {
  const [candidate, setCandidate] = useState<ReprocessDeployment | null>(
    isPendingCandidate(deployment) ? deployment : null,
  );
  const [searched, setSearched] = useState(isPendingCandidate(deployment));
  const [listGeneration, setListGeneration] = useState(0);
  const [outcome, setOutcome] = useState<string | null>(null);
  const reloadList = useCallback(() => setListGeneration((g) => g + 1), []);

  // Which candidate runs beside this deployment: the topology's deployment list is a
  // database read, so it is polled; a new candidate shows up within LIST_INTERVAL_MS.
  // Keyed on ids, not the object: the dashboard hands a new object on every update.
  const selfPending = isPendingCandidate(deployment);
  const { id, topology } = deployment;
  useEffect(() => {
    if (selfPending) {
      setSearched(true);
      return;
    }
    const controller = new AbortController();
    let timer: number | undefined;
    const look = () => {
      fetchTopologyDeployments(topology, controller.signal).then(
        (page) => {
          setCandidate(pendingCandidateOf(page.results, id));
          setSearched(true);
          timer = window.setTimeout(look, LIST_INTERVAL_MS);
        },
        () => {
          if (controller.signal.aborted) return;
          setSearched(true);
          timer = window.setTimeout(look, LIST_INTERVAL_MS);
        },
      );
    };
    look();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [id, topology, selfPending, refreshKey, listGeneration]);
  useEffect(() => {
    if (selfPending) setCandidate(deployment);
  }, [selfPending, deployment]);

  const latest = useLatestOperation(deployment.id, refreshKey);
  const showOperation = latest !== null;

  if (!searched) {
    return (
      <section className="panel reprocess-panel" aria-labelledby="reprocess-title">
        <h2 id="reprocess-title" className="panel__title panel__title--small">
          Reprocessing
        </h2>
        <Spinner label="Looking for a candidate" />
      </section>
    );
  }
  if (!candidate && !showOperation && !outcome && hideWhenEmpty) return null;

  return (
    <section className="panel reprocess-panel" aria-labelledby="reprocess-title" data-testid="reprocess-panel">
      <h2 id="reprocess-title" className="panel__title panel__title--small">
        Reprocessing
        {candidate && (
          <span className="panel__title-aside">
            candidate <strong className="mono">{candidate.application_id}</strong>
          </span>
        )}
      </h2>
      {outcome && (
        <p className="ok-line" role="status" data-testid="reprocess-outcome">
          {outcome}
        </p>
      )}
      {latest && <OperationStatus operation={latest} />}
      {candidate ? (
        <CandidateView
          key={candidate.id}
          candidate={candidate}
          lagIntervalMs={lagIntervalMs}
          comparisonIntervalMs={comparisonIntervalMs}
          onChanged={(d) => {
            if (!isPendingCandidate(d)) setCandidate(null);
            setOutcome(
              d.live
                ? `Candidate ${d.application_id} was promoted: it is the live deployment now.`
                : `Candidate ${d.application_id} was discarded.`,
            );
            reloadList();
            onDeploymentChanged?.(d);
          }}
        />
      ) : (
        !showOperation &&
        !outcome && (
          <EmptyState title="No candidate running">
            Run a version side by side from the Reprocess dialog to compare it here before promoting it.
          </EmptyState>
        )
      )}
    </section>
  );
}

/** The deployment's most recent reset or discard, followed while it runs. */
function useLatestOperation(deploymentId: number, refreshKey: number): Operation | null {
  const [found, setFound] = useState<Operation | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const look = () => {
      fetchOperations(deploymentId, controller.signal).then(
        (page) => {
          const op = page.results[0] ?? null;
          setFound((current) => (current?.id === op?.id && current?.state === op?.state ? current : op));
          timer = window.setTimeout(look, LIST_INTERVAL_MS);
        },
        () => {
          if (!controller.signal.aborted) timer = window.setTimeout(look, LIST_INTERVAL_MS);
        },
      );
    };
    look();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [deploymentId, refreshKey]);
  return useOperation(found);
}

// -- the candidate -----------------------------------------------------------------------------

function CandidateView({
  candidate,
  lagIntervalMs,
  comparisonIntervalMs,
  onChanged,
}: {
  candidate: ReprocessDeployment;
  lagIntervalMs: number;
  comparisonIntervalMs: number;
  onChanged: (d: ReprocessDeployment) => void;
}) {
  const lag = usePolled((signal) => fetchLag(candidate.id, signal), lagIntervalMs, [candidate.id]);
  const comparison = usePolled((signal) => fetchComparison(candidate.id, undefined, signal), comparisonIntervalMs, [
    candidate.id,
  ]);
  const progress = useMemo(() => (lag.data ? catchUp(lag.data) : null), [lag.data]);

  return (
    <div className="reprocess-candidate">
      <CatchUpSection report={lag.data} progress={progress} error={lag.error} live={comparison.data} />
      <ComparisonSection
        comparison={comparison.data}
        error={comparison.error}
        loading={comparison.loading}
        onRefresh={comparison.reload}
      />
      <Decision candidate={candidate} caughtUp={progress?.caughtUp ?? false} onChanged={onChanged} />
    </div>
  );
}

interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads now and every `intervalMs` after each answer; keeps the last data through errors. */
function usePolled<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const run = () => {
      setLoading(true);
      load(controller.signal).then(
        (value) => {
          if (controller.signal.aborted) return;
          setData(value);
          setError(null);
          setLoading(false);
          timer = window.setTimeout(run, intervalMs);
        },
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          setError(reason);
          setLoading(false);
          timer = window.setTimeout(run, intervalMs);
        },
      );
    };
    run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
    // `load` is a fresh closure each render; `deps` say when it changes.
  }, [...deps, intervalMs, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

// -- catch-up ------------------------------------------------------------------------------------

function CatchUpSection({
  report,
  progress,
  error,
  live,
}: {
  report: DeploymentLag | undefined;
  progress: CatchUp | null;
  error: unknown;
  live: Comparison | undefined;
}) {
  const liveProgress = live?.live.progress ?? null;
  return (
    <div className="reprocess-section" data-testid="reprocess-catch-up">
      <h3 className="reprocess-subtitle">Catch-up</h3>
      {error !== null && error !== undefined && !report && <ApiErrorBox error={error} />}
      {!report && !error && <Spinner label="Reading the candidate's lag" />}
      {progress && (
        <>
          <ProgressBar
            label={`Candidate ${report?.application_id ?? ""}`}
            percent={progress.percent}
            detail={`${formatCount(progress.done)} of ${formatCount(progress.total)} offsets · lag ${formatCount(progress.lag)}${
              progress.caughtUp ? " · caught up" : ""
            }`}
            tone={progress.caughtUp ? "ok" : "pending"}
            testId="catch-up-total"
            caughtUp={progress.caughtUp}
          />
          {liveProgress && (
            <ProgressBar
              label={`Live ${live?.live.deployment.application_id ?? ""}`}
              percent={progressPercent(liveProgress)}
              detail={`lag ${formatCount(liveProgress.lag)}`}
              tone="idle"
              caughtUp={liveProgress.caught_up}
            />
          )}
          {progress.partitionsWithoutCommit > 0 && (
            <p className="muted">
              {progress.partitionsWithoutCommit} partition{progress.partitionsWithoutCommit === 1 ? " has" : "s have"} no
              committed offset yet.
            </p>
          )}
          {progress.rows.length > 1 && (
            <details className="reprocess-details">
              <summary>Per partition ({progress.rows.length})</summary>
              <ul className="catch-up-rows">
                {progress.rows.map((row) => (
                  <CatchUpRowBar key={`${row.topic}-${row.partition}`} row={row} />
                ))}
              </ul>
            </details>
          )}
          {error !== null && error !== undefined && (
            <p className="inline-warning">Last refresh failed: {error instanceof Error ? error.message : String(error)}</p>
          )}
        </>
      )}
    </div>
  );
}

const CatchUpRowBar = memo(function CatchUpRowBar({ row }: { row: CatchUpRow }) {
  return (
    <li data-topic={row.topic} data-partition={row.partition}>
      <ProgressBar
        label={`${row.topic} [${row.partition}]`}
        percent={row.percent}
        detail={`${formatCount(row.done)} / ${formatCount(row.total)} · lag ${formatCount(row.lag)}`}
        tone={row.caughtUp ? "ok" : "pending"}
        small
        caughtUp={row.caughtUp}
      />
    </li>
  );
});

function ProgressBar({
  label,
  percent,
  detail,
  tone,
  small,
  testId,
  caughtUp,
}: {
  label: string;
  percent: number;
  detail: string;
  tone: "ok" | "pending" | "idle";
  small?: boolean;
  testId?: string;
  caughtUp: boolean;
}) {
  return (
    <div className={`catch-up ${small ? "catch-up--small" : ""}`} data-testid={testId} data-percent={percent.toFixed(1)} data-caught-up={caughtUp}>
      <div className="catch-up__label">
        <span className="mono">{label}</span>
        <span>
          <strong>{formatPercent(percent)}</strong> <span className="muted">{detail}</span>
        </span>
      </div>
      <div
        className="catch-up__track"
        role="progressbar"
        aria-label={`${label} catch-up`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(percent * 10) / 10}
        aria-valuetext={`${formatPercent(percent)}, ${detail}`}
      >
        <div className={`catch-up__fill catch-up__fill--${tone}`} style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

// -- comparison ----------------------------------------------------------------------------------

const BUCKETS: { bucket: ComparisonBucket; label: string }[] = [
  { bucket: "differing", label: "Differing" },
  { bucket: "only_live", label: "Only live" },
  { bucket: "only_candidate", label: "Only candidate" },
  { bucket: "equal", label: "Equal" },
];

function ComparisonSection({
  comparison,
  error,
  loading,
  onRefresh,
}: {
  comparison: Comparison | undefined;
  error: unknown;
  loading: boolean;
  onRefresh: () => void;
}) {
  return (
    <div className="reprocess-section" data-testid="reprocess-comparison">
      <div className="reprocess-section__head">
        <h3 className="reprocess-subtitle">Output comparison</h3>
        <button type="button" className="button button--ghost" onClick={onRefresh} disabled={loading}>
          {loading ? "Reading…" : "Refresh"}
        </button>
      </div>
      {error !== null && error !== undefined && <ApiErrorBox error={error} onRetry={onRefresh} />}
      {!comparison && !error && <Spinner label="Reading both outputs" />}
      {comparison && (
        <>
          <p className="muted">
            The latest value per key among the most recent {formatCount(comparison.limit)} records of each output topic.
            Until the candidate has caught up, keys it has not reached count as “only live”.
          </p>
          {comparison.candidate.error && <p className="inline-warning">Candidate: {comparison.candidate.error}</p>}
          {comparison.live.error && <p className="inline-warning">Live: {comparison.live.error}</p>}
          {comparison.topics.length === 0 ? (
            <EmptyState title="No output topic written by both" />
          ) : (
            <div className="table-scroll">
              <table className="data-table" data-testid="comparison-table">
                <thead>
                  <tr>
                    <th scope="col">Output</th>
                    <th scope="col" className="num">
                      Records read (live / candidate)
                    </th>
                    <th scope="col" className="num">
                      Equal
                    </th>
                    <th scope="col" className="num">
                      Differing
                    </th>
                    <th scope="col" className="num">
                      Only live
                    </th>
                    <th scope="col" className="num">
                      Only candidate
                    </th>
                    <th scope="col" className="num">
                      Match
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {comparison.topics.map((t) => (
                    <ComparisonRow key={t.sink_topic} topic={t} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {comparison.topics.map((t) => (
            <ComparisonExamples key={t.sink_topic} topic={t} />
          ))}
          {comparison.unpaired.length > 0 && (
            <p className="muted">
              Written by only one of the two versions: {comparison.unpaired.map((u) => (
                <code key={u}>{u} </code>
              ))}
            </p>
          )}
        </>
      )}
    </div>
  );
}

const ComparisonRow = memo(function ComparisonRow({ topic }: { topic: TopicComparison }) {
  const verdict = topicVerdict(topic);
  return (
    <tr data-sink={topic.sink_topic} data-equal={topic.equal} data-differing={topic.differing}>
      <td>
        <span className="mono">{topic.sink_topic}</span>
        <div className="cell-sub mono">
          {topic.live_topic} vs {topic.candidate_topic}
        </div>
      </td>
      <td className="num">
        {formatCount(topic.live_records)} / {formatCount(topic.candidate_records)}
      </td>
      <td className="num">{formatCount(topic.equal)}</td>
      <td className={`num ${topic.differing > 0 ? "is-lagging" : ""}`}>{formatCount(topic.differing)}</td>
      <td className="num">{formatCount(topic.only_live)}</td>
      <td className="num">{formatCount(topic.only_candidate)}</td>
      <td className="num">{verdict.equalPercent === null ? "—" : formatPercent(verdict.equalPercent)}</td>
    </tr>
  );
});

function ComparisonExamples({ topic }: { topic: TopicComparison }) {
  const buckets = BUCKETS.filter((b) => (topic.examples[b.bucket]?.length ?? 0) > 0);
  if (buckets.length === 0) return null;
  return (
    <details className="reprocess-details">
      <summary>
        Examples from <span className="mono">{topic.sink_topic}</span>
      </summary>
      {buckets.map(({ bucket, label }) => (
        <div key={bucket} className="comparison-examples">
          <h4>{label}</h4>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Live</th>
                <th scope="col">Candidate</th>
              </tr>
            </thead>
            <tbody>
              {(topic.examples[bucket] ?? []).map((e, i) => (
                <tr key={i}>
                  <td className="mono value-cell">{formatRecordField(e.key)}</td>
                  <td className="mono value-cell">{bucket === "only_candidate" ? "—" : formatRecordField(e.live)}</td>
                  <td className="mono value-cell">{bucket === "only_live" ? "—" : formatRecordField(e.candidate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </details>
  );
}

// -- promote / discard -------------------------------------------------------------------------

function Decision({
  candidate,
  caughtUp,
  onChanged,
}: {
  candidate: ReprocessDeployment;
  caughtUp: boolean;
  onChanged: (d: ReprocessDeployment) => void;
}) {
  const promoteProblem = useRoleProblem(candidate.workspace, "Promoting the candidate");
  const discardProblem = useRoleProblem(candidate.workspace, "Discarding the candidate");
  const [asking, setAsking] = useState<"promote" | "discard" | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [deleteTopics, setDeleteTopics] = useState(false);
  const [discardStarted, setDiscardStarted] = useState<Operation | null>(null);
  const discard = useOperation(discardStarted);
  const discardRunning = discard !== null && !isOperationFinished(discard);

  useEffect(() => {
    if (discard?.state === "done") onChanged({ ...candidate, discarded_at: discard.finished_at ?? new Date().toISOString() });
    // Reported once, when the discard's state turns "done".
  }, [discard?.state]);

  const close = () => {
    if (!busy) {
      setAsking(null);
      setError(null);
    }
  };

  const promote = async () => {
    setBusy(true);
    setError(null);
    try {
      const promoted = await promoteCandidate(candidate.id);
      setAsking(null);
      onChanged(promoted);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const startDiscard = async () => {
    setBusy(true);
    setError(null);
    try {
      setDiscardStarted(await discardCandidate(candidate.id, deleteTopics));
      setAsking(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const outputs = Object.entries(candidate.output_topic_map ?? {});
  return (
    <div className="reprocess-section reprocess-decision">
      {discard && <OperationStatus operation={discard} />}
      <div className="button-row">
        <button
          type="button"
          className="button button--primary"
          onClick={() => setAsking("promote")}
          disabled={promoteProblem !== null || discardRunning}
          title={promoteProblem ?? "Make the candidate the live deployment and stop the old one"}
          data-testid="reprocess-promote"
        >
          Promote
        </button>
        <button
          type="button"
          className="button button--danger"
          onClick={() => setAsking("discard")}
          disabled={discardProblem !== null || discardRunning}
          title={discardProblem ?? "Stop the candidate and delete its state"}
          data-testid="reprocess-discard"
        >
          Discard
        </button>
      </div>
      {(promoteProblem ?? discardProblem) && <p className="muted reprocess-role-inline">{promoteProblem ?? discardProblem}</p>}

      <Modal
        open={asking === "promote"}
        onClose={close}
        title={`Promote ${candidate.application_id}?`}
        testId="promote-dialog"
        footer={
          <>
            <button type="button" className="button button--ghost" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="button button--primary" onClick={promote} disabled={busy} data-testid="promote-confirm">
              {busy ? "Promoting…" : "Promote"}
            </button>
          </>
        }
      >
        <p>
          The candidate becomes the live deployment of the topology and the deployment it runs beside is stopped (its
          output topics are kept). Downstream readers must follow the live output map:
        </p>
        {outputs.length > 0 && (
          <ul className="reprocess-list">
            {outputs.map(([sink, topic]) => (
              <li key={sink}>
                <code>{sink}</code> → <code>{topic}</code>
              </li>
            ))}
          </ul>
        )}
        {!caughtUp && (
          <p className="inline-warning" role="note">
            The candidate has not caught up with its input yet: its output is incomplete.
          </p>
        )}
        {error !== null && <ApiErrorBox error={error} />}
      </Modal>

      <Modal
        open={asking === "discard"}
        onClose={close}
        title={`Discard ${candidate.application_id}?`}
        testId="discard-dialog"
        footer={
          <>
            <button type="button" className="button button--ghost" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="button button--danger" onClick={startDiscard} disabled={busy} data-testid="discard-confirm">
              {busy ? "Discarding…" : "Discard"}
            </button>
          </>
        }
      >
        <p>
          The candidate is stopped; its internal topics, Redis state and consumer group are deleted. The live deployment
          is not touched.
        </p>
        <label className="reprocess-choice">
          <input type="checkbox" checked={deleteTopics} onChange={(e) => setDeleteTopics(e.target.checked)} />
          Also delete its own output topics
          {outputs.length > 0 && (
            <span className="muted">
              {" "}
              ({outputs.map(([, t]) => t).join(", ")})
            </span>
          )}
        </label>
        {error !== null && <ApiErrorBox error={error} />}
      </Modal>
    </div>
  );
}
