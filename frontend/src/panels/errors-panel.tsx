// Records the replicas failed on, newest first: where (node, input record), why, what
// the exception handler decided, and a link to the dead-letter topic when the record
// went there. The websocket's record errors when it has any, else the metrics' list.
import { AlertIcon } from "../components/icons";
import { Link } from "../components/link";
import { formatClock, formatRecordField } from "../lib/format";
import { paths } from "../lib/routes";
import { useDeploymentStore } from "../store/deployment-context";

const DECISIONS: Record<string, string> = {
  continued: "skipped (log and continue)",
  dlq: "sent to the dead-letter topic",
  failed: "stopped the task (log and fail)",
};

export function ErrorsPanel() {
  const reported = useDeploymentStore((s) => s.merged.errors);
  const records = useDeploymentStore((s) => s.recordErrors);
  const connection = useDeploymentStore((s) => s.deployment?.connection ?? null);
  const count = records.length || reported.length;
  return (
    <section className="panel" aria-labelledby="errors-title">
      <h2 id="errors-title" className="panel__title panel__title--small">
        Errors
        <span className={`count-pill ${count ? "count-pill--bad" : ""}`}>{count}</span>
      </h2>
      {count === 0 ? (
        <p className="ok-line">
          <span className="ok-dot" aria-hidden="true" /> No processing errors reported.
        </p>
      ) : records.length > 0 ? (
        <ul className="error-list" data-testid="errors">
          {records.map((e) => (
            <li key={`${e.replica}-${e.node}-${e.topic}-${e.partition}-${e.offset}-${e.at}`} className="error-list__item" data-testid="record-error">
              <AlertIcon size={15} className="error-list__icon" />
              <div>
                <p className="error-list__where">
                  <code>{e.node}</code>
                  {e.topic !== null && (
                    <>
                      {" "}
                      at <code>{e.topic}</code>-{e.partition}@{e.offset}
                    </>
                  )}
                  <span className="muted"> · {formatClock(e.at)}</span>
                </p>
                <p className="error-list__message">
                  {/* a message that already starts with its type is not prefixed again */}
                  {e.type && !e.message.startsWith(`${e.type}:`) ? `${e.type}: ` : ""}
                  {e.message}
                </p>
                <p className="muted error-list__record">
                  key <code>{formatRecordField(e.key, 60)}</code> · value <code>{formatRecordField(e.value, 60)}</code>
                  {e.decision && <> · {DECISIONS[e.decision] ?? e.decision}</>}
                  {e.dead_letter_topic && connection !== null && (
                    <>
                      {" "}
                      ·{" "}
                      <Link to={`${paths.topics()}?connection=${connection}&topic=${encodeURIComponent(e.dead_letter_topic)}`}>
                        open {e.dead_letter_topic}
                      </Link>
                    </>
                  )}
                </p>
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="error-list" data-testid="errors">
          {reported.map((e) => (
            <li key={`${e.node}-${e.topic}-${e.partition}-${e.offset}-${e.timestamp}`} className="error-list__item">
              <AlertIcon size={15} className="error-list__icon" />
              <div>
                <p className="error-list__where">
                  <code>{e.node}</code> at <code>{e.topic}</code>-{e.partition}@{e.offset}
                  <span className="muted"> · {formatClock(e.timestamp)}</span>
                </p>
                <p className="error-list__message">{e.message}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
