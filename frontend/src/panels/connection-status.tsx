// Whether the live feed is connected, and how fresh the numbers are.
import { useNow } from "../hooks/use-now";
import { formatAgo } from "../lib/format";
import { useDeploymentStore } from "../store/deployment-context";

export function ConnectionStatus() {
  const connection = useDeploymentStore((s) => s.connection);
  const updatedAt = useDeploymentStore((s) => s.merged.updatedAt);
  const now = useNow();

  let text: string;
  switch (connection.status) {
    case "open":
      text = updatedAt ? `Live · updated ${formatAgo(updatedAt, now)}` : "Live · waiting for metrics";
      break;
    case "connecting":
      text = "Connecting…";
      break;
    case "reconnecting": {
      const seconds = connection.retryAt ? Math.max(0, Math.ceil((connection.retryAt - now) / 1000)) : 0;
      text = seconds > 0 ? `Disconnected · retrying in ${seconds} s` : "Reconnecting…";
      break;
    }
    default:
      text = "Offline";
  }
  return (
    <p
      className={`connection connection--${connection.status}`}
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-status={connection.status}
    >
      <span className="connection__dot" aria-hidden="true" />
      {text}
    </p>
  );
}
