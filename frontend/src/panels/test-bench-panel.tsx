// "Try it": runs the (unsaved) document server-side on sample records with the test
// driver and shows what every node passed on. Records are JSON lines (typed, uploaded
// or captured from a topic); wall-clock advances are lines too, so their place among
// the records is visible and editable.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ChangeEvent } from "react";
import { ApiError } from "../api/client";
import { captureTopicRecords, runTrial } from "../api/try-it";
import { AlertIcon, PlayIcon } from "../components/icons";
import {
  advanceLine,
  appendLines,
  capturedLines,
  formatJsonValue,
  parseSteps,
  sourceSerdes,
  sourceTopics,
  stepLabel,
  stepOfPath,
  withAutoTimestamps,
} from "../lib/test-bench";
import type { TopologyDocument } from "../types/document";
import type { TriedRecord, TrialError, TryResult } from "../types/try-it";

export interface TestBenchPanelProps {
  document: TopologyDocument;
  workspaceId: number;
  /** The latest answer (null while running, after a failed run or when cleared). */
  onResult(result: TryResult | null): void;
  /** Offers "Capture from topic" when given: the connection whose topics to read. */
  connectionId?: number;
  /** The node selected on the canvas: its records are shown when the last run has them. */
  focusNodeId?: string | null;
}

type Selection = { kind: "node" | "topic"; id: string };

const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
const EXAMPLE = '{"key": "k1", "value": "some text", "timestamp": 1000}\nplain text: a value with a null key\n{"advance_wall_clock_ms": 5000}';

export const TestBenchPanel = memo(function TestBenchPanel({
  document,
  workspaceId,
  onResult,
  connectionId,
  focusNodeId,
}: TestBenchPanelProps) {
  const topics = useMemo(() => sourceTopics(document), [document]);
  const [topicChoice, setTopicChoice] = useState<string | null>(null);
  const topic = topicChoice !== null && topics.includes(topicChoice) ? topicChoice : (topics[0] ?? null);
  const [text, setText] = useState("");
  const [advanceMs, setAdvanceMs] = useState("1000");
  const [startClock, setStartClock] = useState("0");
  const [keepGoing, setKeepGoing] = useState(false);
  const [autoTime, setAutoTime] = useState(false);
  const [autoStart, setAutoStart] = useState("0");
  const [autoStep, setAutoStep] = useState("1000");
  const parsed = useMemo(() => parseSteps(text, topic), [text, topic]);

  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<TryResult | null>(null);
  const [ranLines, setRanLines] = useState<number[]>([]);
  const [failure, setFailure] = useState<Error | null>(null);
  const [selected, setSelected] = useState<Selection | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [captureLimit, setCaptureLimit] = useState("50");
  const [capturing, setCapturing] = useState(false);

  // Follows the canvas's selection, not the run: a new run keeps its own choice (the
  // failing node first).
  const resultRef = useRef(result);
  resultRef.current = result;
  useEffect(() => {
    const shown = resultRef.current;
    if (focusNodeId && shown && focusNodeId in shown.nodes) setSelected({ kind: "node", id: focusNodeId });
  }, [focusNodeId]);

  // Answers to runs started before the latest one, or after unmounting, are dropped.
  const runId = useRef(0);
  useEffect(() => () => void (runId.current += 1), []);

  const advance = Number(advanceMs);
  const advanceValid = advanceMs.trim() !== "" && Number.isSafeInteger(advance) && advance >= 0;
  const clock = Number(startClock);
  const clockValid = startClock.trim() !== "" && Number.isSafeInteger(clock) && clock >= 0;
  const autoStartValid = autoStart.trim() !== "" && Number.isSafeInteger(Number(autoStart)) && Number(autoStart) >= 0;
  const autoStepValid = autoStep.trim() !== "" && Number.isSafeInteger(Number(autoStep)) && Number(autoStep) >= 0;
  const autoValid = !autoTime || (autoStartValid && autoStepValid);
  const canRun = !running && parsed.steps.length > 0 && parsed.errors.length === 0 && clockValid && autoValid;

  const run = useCallback(async () => {
    const id = ++runId.current;
    const lines = parsed.lines;
    setRunning(true);
    setFailure(null);
    onResult(null);
    try {
      const answer = await runTrial({
        workspace: workspaceId,
        document,
        steps: autoTime ? withAutoTimestamps(parsed.steps, Number(autoStart), Number(autoStep)) : parsed.steps,
        on_error: keepGoing ? "continue" : "stop",
        initial_wall_clock_ms: clock,
      });
      if (id !== runId.current) return;
      setResult(answer);
      setRanLines(lines);
      setSelected((current) => keepSelection(current, answer) ?? firstSelection(answer, document));
      onResult(answer);
    } catch (error) {
      if (id !== runId.current) return;
      setResult(null);
      setRanLines(lines);
      setFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (id === runId.current) setRunning(false);
    }
  }, [autoStart, autoStep, autoTime, clock, document, keepGoing, onResult, parsed, workspaceId]);

  const onUpload = useCallback(async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    input.value = ""; // the same file again is a new upload
    if (!file) return;
    if (file.size > MAX_UPLOAD_BYTES) {
      setNotice(`${file.name} is ${Math.ceil(file.size / 1024)} KiB; the bench reads files up to 2 MiB.`);
      return;
    }
    const content = (await file.text()).replace(/\s+$/, "");
    setText((current) => appendLines(current, content));
    setNotice(`Added ${file.name}.`);
  }, []);

  const capture = useCallback(async () => {
    if (connectionId === undefined || topic === null) return;
    const limit = Number(captureLimit);
    setCapturing(true);
    setNotice(null);
    try {
      const serdes = sourceSerdes(document, topic);
      const answer = await captureTopicRecords(connectionId, topic, { limit, ...serdes });
      const { text: lines, skipped } = capturedLines(answer.records, topic);
      setText((current) => appendLines(current, lines));
      const read = answer.records.length - skipped;
      setNotice(
        `Captured ${read} record${read === 1 ? "" : "s"} from ${topic}` +
          (skipped ? ` (${skipped} left out: not readable with the source's serdes).` : "."),
      );
    } catch (error) {
      setNotice(`Could not read ${topic}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setCapturing(false);
    }
  }, [captureLimit, connectionId, document, topic]);

  const clear = useCallback(() => {
    runId.current += 1;
    setText("");
    setResult(null);
    setFailure(null);
    setSelected(null);
    setNotice(null);
    setRunning(false);
    onResult(null);
  }, [onResult]);

  const labels = useMemo(
    () => Object.fromEntries(document.nodes.map((n) => [n.id, n.label || n.id])),
    [document.nodes],
  );
  const captureLimitValid = /^\d+$/.test(captureLimit) && Number(captureLimit) >= 1 && Number(captureLimit) <= 500;

  return (
    <section className="panel test-bench" aria-labelledby="test-bench-title" data-testid="test-bench">
      <h2 id="test-bench-title" className="panel__title panel__title--small">
        Try it
      </h2>
      <p className="test-bench__hint muted">
        One record per line: <code>{'{"key", "value", "timestamp", "topic"}'}</code>, a bare JSON value or plain text
        (null key). Stream time follows the timestamps (stamp untimed records to step it evenly, to close
        windows and release suppressed results); wall-clock steps run wall-clock punctuators.
      </p>

      <div className="test-bench__row">
        <label className="test-bench__field">
          <span>Topic for records without one</span>
          <select
            value={topic ?? ""}
            onChange={(e) => setTopicChoice(e.target.value)}
            disabled={topics.length === 0}
          >
            {topics.length === 0 && <option value="">The document reads no topic</option>}
            {topics.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>

      <label className="test-bench__field">
        <span>Test records</span>
        <textarea
          className="test-bench__input mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={EXAMPLE}
          rows={8}
          spellCheck={false}
          aria-invalid={parsed.errors.length > 0}
          aria-describedby={parsed.errors.length > 0 ? "test-bench-parse-errors" : undefined}
        />
      </label>
      {parsed.errors.length > 0 && (
        <ul id="test-bench-parse-errors" className="test-bench__errors" aria-live="polite">
          {parsed.errors.slice(0, 8).map((e) => (
            <li key={`${e.line}-${e.message}`}>
              <AlertIcon size={13} className="is-error" /> line {e.line}: {e.message}
            </li>
          ))}
          {parsed.errors.length > 8 && <li>… and {parsed.errors.length - 8} more</li>}
        </ul>
      )}

      <div className="test-bench__row">
        <label className="button button--secondary test-bench__upload">
          Upload .jsonl
          <input
            type="file"
            accept=".jsonl,.ndjson,.json,.txt,application/x-ndjson,application/json,text/plain"
            onChange={(e) => void onUpload(e)}
            aria-label="Upload JSON lines"
          />
        </label>
        <label className="test-bench__field test-bench__field--inline">
          <span>Wall clock +</span>
          <input
            type="number"
            min={0}
            step={100}
            value={advanceMs}
            onChange={(e) => setAdvanceMs(e.target.value)}
            aria-label="Advance wall clock by (ms)"
          />
          <span className="muted">ms</span>
        </label>
        <button
          type="button"
          className="button button--secondary"
          disabled={!advanceValid}
          onClick={() => setText((t) => appendLines(t, advanceLine(advance)))}
        >
          Add wall-clock step
        </button>
      </div>

      {connectionId !== undefined && (
        <div className="test-bench__row">
          <label className="test-bench__field test-bench__field--inline">
            <span>Records to capture</span>
            <input
              type="number"
              min={1}
              max={500}
              value={captureLimit}
              onChange={(e) => setCaptureLimit(e.target.value)}
              aria-label="How many records to capture"
            />
          </label>
          <button
            type="button"
            className="button button--secondary"
            disabled={capturing || topic === null || !captureLimitValid}
            onClick={() => void capture()}
            title={topic ? `Read the first records of ${topic} with its source's serdes` : undefined}
          >
            {capturing ? "Capturing…" : "Capture from topic"}
          </button>
        </div>
      )}

      <div className="test-bench__row">
        <label className="test-bench__field test-bench__field--inline">
          <span>Wall clock starts at</span>
          <input
            type="number"
            min={0}
            value={startClock}
            onChange={(e) => setStartClock(e.target.value)}
            aria-label="Initial wall-clock time (ms)"
            aria-invalid={!clockValid}
          />
          <span className="muted">ms</span>
        </label>
        <label className="test-bench__check">
          <input type="checkbox" checked={keepGoing} onChange={(e) => setKeepGoing(e.target.checked)} />
          Skip failing records and go on
        </label>
      </div>

      <div className="test-bench__row">
        <label className="test-bench__check">
          <input
            type="checkbox"
            checked={autoTime}
            onChange={(e) => setAutoTime(e.target.checked)}
            data-testid="test-bench-auto-time"
          />
          Stamp records without a timestamp
        </label>
        <label className="test-bench__field test-bench__field--inline">
          <span>from</span>
          <input
            type="number"
            min={0}
            value={autoStart}
            disabled={!autoTime}
            onChange={(e) => setAutoStart(e.target.value)}
            aria-label="First record timestamp (ms)"
            aria-invalid={autoTime && !autoStartValid}
          />
          <span className="muted">ms, then +</span>
          <input
            type="number"
            min={0}
            step={100}
            value={autoStep}
            disabled={!autoTime}
            onChange={(e) => setAutoStep(e.target.value)}
            aria-label="Timestamp step between records (ms)"
            aria-invalid={autoTime && !autoStepValid}
          />
          <span className="muted">ms each</span>
        </label>
      </div>

      <div className="test-bench__row test-bench__actions">
        <button
          type="button"
          className="button button--primary"
          aria-label="Run test"
          disabled={!canRun}
          onClick={() => void run()}
        >
          <PlayIcon size={14} /> {running ? "Running…" : "Run"}
        </button>
        <button type="button" className="button button--ghost" onClick={clear} disabled={text === "" && !result}>
          Clear
        </button>
        <span className="muted test-bench__count">
          {parsed.steps.length} step{parsed.steps.length === 1 ? "" : "s"}
        </span>
      </div>
      {notice && (
        <p className="test-bench__notice muted" role="status">
          {notice}
        </p>
      )}

      {failure && <RunFailure error={failure} lines={ranLines} />}
      {result && (
        <TrialView
          result={result}
          lines={ranLines}
          labels={labels}
          selected={selected}
          onSelect={setSelected}
          totalSteps={ranLines.length}
        />
      )}
    </section>
  );
});

function keepSelection(current: Selection | null, result: TryResult): Selection | null {
  if (!current) return null;
  const present = current.kind === "node" ? current.id in result.nodes : current.id in result.outputs;
  return present ? current : null;
}

function firstSelection(result: TryResult, document: TopologyDocument): Selection | null {
  const failed = result.errors.find((e) => e.node_id && e.node_id in result.nodes)?.node_id;
  if (failed) return { kind: "node", id: failed };
  const first = document.nodes.find((n) => n.id in result.nodes);
  return first ? { kind: "node", id: first.id } : null;
}

function RunFailure({ error, lines }: { error: Error; lines: readonly number[] }) {
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <div className="alert alert--error test-bench__failure" role="alert">
      <AlertIcon size={16} />
      <div className="alert__body">
        <p className="alert__title">The run did not start</p>
        {problems.length === 0 ? (
          <p>{error.message}</p>
        ) : (
          <ul className="test-bench__problems">
            {problems.map((p, i) => {
              const at = stepOfPath(p.path);
              const where = at ? stepLabel(at.step, lines) : p.node_id ? p.node_id : p.path;
              // the line says where; the backend's "step 3: " prefix would say it again
              const message = at ? p.message.replace(/^step \d+: /, "") : p.message;
              return (
                <li key={`${p.path}-${i}`}>
                  {where && <code>{where}</code>} {message}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </div>
  );
}

interface TrialViewProps {
  result: TryResult;
  lines: readonly number[];
  labels: Record<string, string>;
  selected: Selection | null;
  onSelect(selection: Selection): void;
  totalSteps: number;
}

function TrialView({ result, lines, labels, selected, onSelect, totalSteps }: TrialViewProps) {
  const failedNodes = useMemo(() => new Set(result.errors.map((e) => e.node_id).filter(Boolean)), [result.errors]);
  const shown =
    selected?.kind === "node" ? result.nodes[selected.id] : selected?.kind === "topic" ? result.outputs[selected.id] : undefined;
  const sameAs = selected?.kind === "node" ? result.nodes[selected.id]?.same_as : null;
  const cap = selected?.kind === "topic" ? result.limits.records_per_topic : result.limits.records_per_node;
  return (
    <div className="test-bench__result" aria-live="polite">
      <p className="test-bench__summary">
        {result.steps_run} of {totalSteps} steps run · stream time{" "}
        <span className="mono" data-testid="test-bench-stream-time">
          {result.stream_time_ms < 0 ? "none" : result.stream_time_ms}
        </span> · wall clock{" "}
        <span className="mono">{result.wall_clock_ms}</span>
      </p>
      {result.errors.length > 0 && (
        <ul className="test-bench__run-errors" aria-label="Errors">
          {result.errors.map((e, i) => (
            <ErrorItem key={i} error={e} lines={lines} onSelect={onSelect} />
          ))}
        </ul>
      )}
      <div className="test-bench__split">
        <nav className="test-bench__nodes" aria-label="Nodes and output topics">
          <p className="test-bench__group">Nodes</p>
          <ul>
            {Object.entries(result.nodes).map(([id, node]) => (
              <SelectItem
                key={id}
                label={labels[id] ?? id}
                id={id}
                count={node.records.length}
                truncated={node.truncated}
                failed={failedNodes.has(id)}
                pressed={selected?.kind === "node" && selected.id === id}
                onSelect={() => onSelect({ kind: "node", id })}
              />
            ))}
          </ul>
          {Object.keys(result.outputs).length > 0 && (
            <>
              <p className="test-bench__group">Output topics</p>
              <ul>
                {Object.entries(result.outputs).map(([name, out]) => (
                  <SelectItem
                    key={name}
                    label={name}
                    id={null}
                    count={out.records.length}
                    truncated={out.truncated}
                    failed={false}
                    pressed={selected?.kind === "topic" && selected.id === name}
                    onSelect={() => onSelect({ kind: "topic", id: name })}
                  />
                ))}
              </ul>
            </>
          )}
        </nav>
        <div className="test-bench__records">
          {!shown || !selected ? (
            <p className="muted">Choose a node or a topic.</p>
          ) : (
            <>
              {sameAs && (
                <p className="muted test-bench__note">
                  No processor of its own: it passes on the records of <code>{labels[sameAs] ?? sameAs}</code>.
                </p>
              )}
              {shown.truncated && (
                <p className="muted test-bench__note">More records went through; the first {cap} are shown.</p>
              )}
              <RecordTable
                records={shown.records}
                lines={lines}
                caption={selected.kind === "node" ? `Records out of ${labels[selected.id] ?? selected.id}` : `Records in ${selected.id}`}
              />
            </>
          )}
        </div>
      </div>
    </div>
  );
}

const ErrorItem = memo(function ErrorItem({
  error,
  lines,
  onSelect,
}: {
  error: TrialError;
  lines: readonly number[];
  onSelect(selection: Selection): void;
}) {
  const nodeId = error.node_id;
  return (
    <li className={`test-bench__run-error is-${error.decision}`} data-testid="test-bench-error" data-node={nodeId ?? ""}>
      <AlertIcon size={13} className={error.decision === "failed" ? "is-error" : "is-warning"} />
      <span>
        <code>{stepLabel(error.step, lines)}</code>{" "}
        {nodeId ? (
          <button
            type="button"
            className="test-bench__link"
            onClick={() => onSelect({ kind: "node", id: nodeId })}
            aria-label={`Show node ${nodeId}`}
          >
            {nodeId}
          </button>
        ) : null}{" "}
        {error.kind}: {error.message}
        {error.decision === "continued" ? " (skipped)" : ""}
      </span>
    </li>
  );
});

const SelectItem = memo(function SelectItem({
  label,
  id,
  count,
  truncated,
  failed,
  pressed,
  onSelect,
}: {
  label: string;
  id: string | null;
  count: number;
  truncated: boolean;
  failed: boolean;
  pressed: boolean;
  onSelect(): void;
}) {
  return (
    <li>
      <button
        type="button"
        className={`test-bench__item${failed ? " is-failed" : ""}`}
        aria-pressed={pressed}
        onClick={onSelect}
        data-testid="test-bench-node"
        data-node={id ?? label}
      >
        <span className="test-bench__item-label">
          {label}
          {id && id !== label && <span className="muted mono"> {id}</span>}
        </span>
        <span className="test-bench__item-count mono">
          {count}
          {truncated ? "+" : ""}
        </span>
      </button>
    </li>
  );
});

const RecordTable = memo(function RecordTable({
  records,
  lines,
  caption,
}: {
  records: readonly TriedRecord[];
  lines: readonly number[];
  caption: string;
}) {
  if (records.length === 0) return <p className="muted">No records.</p>;
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label={caption}>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
            <th scope="col" className="num">
              Timestamp
            </th>
          </tr>
        </thead>
        <tbody>
          {records.map((r, i) => (
            <RecordRow key={i} record={r} lines={lines} />
          ))}
        </tbody>
      </table>
    </div>
  );
});

const RecordRow = memo(function RecordRow({ record, lines }: { record: TriedRecord; lines: readonly number[] }) {
  const key = formatJsonValue(record.key);
  const value = formatJsonValue(record.value);
  return (
    <tr data-testid="test-bench-record" data-key={key} data-value={value}>
      <td className="mono muted" title={`processor ${record.processor}`}>
        {stepLabel(record.step, lines)}
      </td>
      <td className="mono" title={key}>
        {key}
      </td>
      <td className="mono value-cell" title={value}>
        {value}
      </td>
      <td className="num mono">{record.timestamp}</td>
    </tr>
  );
});
