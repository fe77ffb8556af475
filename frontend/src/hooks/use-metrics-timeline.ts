// Feeds the timeline store: the metrics history once (the last window), then a point
// for every report the deployment store receives from the websocket.
import { useEffect } from "react";
import { fetchMetricsHistory } from "../api/deployment-controls";
import { freshSnapshots } from "../lib/metrics";
import { type EngineSnapshot, pointsFromHistory } from "../lib/series";
import { useDeploymentStoreApi } from "../store/deployment-context";
import type { DeploymentState } from "../store/deployment-store";
import { useTimelineStoreApi } from "../store/timeline-context";

export function useMetricsTimeline(deploymentId: number): void {
  const deployments = useDeploymentStoreApi();
  const timeline = useTimelineStoreApi();

  useEffect(() => {
    const ingest = (s: DeploymentState) => {
      const fresh = freshSnapshots(s.replicas) as Array<[string, EngineSnapshot]>;
      timeline.getState().ingest(fresh, s.merged.partitions);
    };
    ingest(deployments.getState());
    return deployments.subscribe((s, previous) => {
      if (s.replicas !== previous.replicas) ingest(s);
    });
  }, [deployments, timeline]);

  useEffect(() => {
    const controller = new AbortController();
    const { windowMs } = timeline.getState();
    fetchMetricsHistory(deploymentId, Date.now() - windowMs, controller.signal).then(
      (series) => {
        if (!controller.signal.aborted) timeline.getState().seed(pointsFromHistory(series));
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        timeline.getState().historyFailed(error instanceof Error ? error.message : String(error));
      },
    );
    return () => controller.abort();
  }, [deploymentId, timeline]);
}
