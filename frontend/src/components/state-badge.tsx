// Coloured badges for deployment and application states.

const TONES: Record<string, string> = {
  running: "ok",
  RUNNING: "ok",
  starting: "pending",
  stopping: "pending",
  REBALANCING: "pending",
  CREATED: "pending",
  PENDING_SHUTDOWN: "pending",
  stopped: "idle",
  NOT_RUNNING: "idle",
  failed: "bad",
  ERROR: "bad",
};

export function stateTone(state: string | null | undefined): string {
  return (state && TONES[state]) || "idle";
}

export function StateBadge({
  state,
  label,
  testId,
}: {
  state: string | null | undefined;
  /** Shown before the state, e.g. "desired". */
  label?: string;
  testId?: string;
}) {
  const text = state ? state.toLowerCase().replace(/_/g, " ") : "unknown";
  return (
    <span
      className={`badge badge--${stateTone(state)}`}
      data-testid={testId}
      data-state={state ?? ""}
      title={label ? `${label}: ${text}` : text}
    >
      <span className="badge__dot" aria-hidden="true" />
      {label && <span className="badge__label">{label}</span>}
      <span className="badge__text">{text}</span>
    </span>
  );
}
