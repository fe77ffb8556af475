// Keeps a websocket to /ws/deployments/<id>/ open for as long as the dashboard is shown,
// feeding every message into the deployment store and reconnecting with backoff.
import { useEffect } from "react";
import { deploymentSocketUrl, parseSocketMessage, reconnectDelay } from "../lib/deployment-feed";
import { useDeploymentStoreApi } from "../store/deployment-context";

export function useDeploymentSocket(deploymentId: number): void {
  const store = useDeploymentStoreApi();

  useEffect(() => {
    let socket: WebSocket | null = null;
    let timer: number | undefined;
    let attempt = 0;
    let disposed = false;
    const { setConnection, receive } = store.getState();

    const connect = () => {
      if (disposed) return;
      setConnection({ status: attempt === 0 ? "connecting" : "reconnecting", attempt, retryAt: null });
      socket = new WebSocket(deploymentSocketUrl(window.location, deploymentId));
      socket.onopen = () => {
        attempt = 0;
        setConnection({ status: "open", attempt: 0, retryAt: null });
      };
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== "string") return;
        const message = parseSocketMessage(event.data);
        if (message) receive(message);
      };
      socket.onclose = () => {
        socket = null;
        if (disposed) return;
        const delay = reconnectDelay(attempt);
        attempt += 1;
        setConnection({ status: "reconnecting", attempt, retryAt: Date.now() + delay });
        timer = window.setTimeout(connect, delay);
      };
      // An error is always followed by close, which schedules the retry.
      socket.onerror = () => undefined;
    };

    // Reconnect at once when the tab comes back or the network returns, instead of
    // waiting out a long backoff.
    const retryNow = () => {
      if (disposed || socket || document.visibilityState === "hidden") return;
      window.clearTimeout(timer);
      connect();
    };
    window.addEventListener("online", retryNow);
    document.addEventListener("visibilitychange", retryNow);

    connect();
    return () => {
      disposed = true;
      window.clearTimeout(timer);
      window.removeEventListener("online", retryNow);
      document.removeEventListener("visibilitychange", retryNow);
      if (socket) {
        const closing = socket;
        closing.onclose = null;
        closing.onmessage = null;
        // Closing a socket that is still connecting makes the browser log an error;
        // let it finish connecting, then close it.
        if (closing.readyState === WebSocket.CONNECTING) closing.onopen = () => closing.close(1000, "dashboard closed");
        else closing.close(1000, "dashboard closed");
      }
      setConnection({ status: "closed", attempt: 0, retryAt: null });
    };
  }, [deploymentId, store]);
}
