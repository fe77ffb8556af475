import { describe, expect, it } from "vitest";
import type { Deployment } from "../types/api";
import {
  applySocketMessage,
  deploymentSocketUrl,
  parseSocketMessage,
  reconnectDelay,
  type FeedState,
} from "./deployment-feed";

const deployment = (observed: Deployment["observed_state"]): Deployment => ({
  id: 7,
  topology: 1,
  version: 3,
  version_number: 2,
  application_id: "wc",
  processing_guarantee: "at_least_once",
  on_error: "fail",
  dead_letter_topic: "",
  replicas: 1,
  desired_state: "running",
  observed_state: observed,
  input_topics: ["text-lines"],
  output_topics: ["word-counts"],
  created_at: "2024-11-25T10:00:00Z",
  updated_at: "2024-11-25T10:00:00Z",
  last_error: null,
  workspace: 1,
  connection: 1,
  connection_name: "local",
  generation: 0,
  output_topic_map: { "word-counts": "word-counts" },
  live: true,
  candidate_of: null,
  discarded_at: null,
});

const metrics = (timestamp: number) => ({
  application_id: "wc",
  timestamp,
  state: "RUNNING",
  tasks: ["0_0"],
  nodes: {},
  partitions: [],
  samples: [],
  errors: [],
  totals: {},
});

describe("parseSocketMessage", () => {
  it("accepts the three server messages", () => {
    expect(parseSocketMessage(JSON.stringify({ type: "snapshot", deployment: deployment("running"), metrics: { "3": metrics(1) } })))
      .toMatchObject({ type: "snapshot", metrics: { "3": { timestamp: 1 } } });
    expect(parseSocketMessage(JSON.stringify({ type: "metrics", replica: 3, metrics: metrics(2) })))
      .toEqual({ type: "metrics", replica: "3", metrics: metrics(2) });
    expect(parseSocketMessage(JSON.stringify({ type: "deployment", deployment: deployment("stopped") })))
      .toMatchObject({ type: "deployment", deployment: { observed_state: "stopped" } });
  });

  it("rejects junk rather than throwing", () => {
    expect(parseSocketMessage("not json")).toBeNull();
    expect(parseSocketMessage("[]")).toBeNull();
    expect(parseSocketMessage(JSON.stringify({ type: "hello" }))).toBeNull();
    expect(parseSocketMessage(JSON.stringify({ type: "metrics", replica: "1", metrics: {} }))).toBeNull();
  });

  it("drops malformed replica reports inside a snapshot", () => {
    const msg = parseSocketMessage(
      JSON.stringify({ type: "snapshot", deployment: deployment("running"), metrics: { a: metrics(1), b: "x" } }),
    );
    expect(msg?.type === "snapshot" && Object.keys(msg.metrics)).toEqual(["a"]);
  });
});

describe("applySocketMessage", () => {
  const empty: FeedState = { deployment: null, replicas: {} };

  it("replaces everything on a snapshot, so a reload shows the server's view", () => {
    const before: FeedState = { deployment: deployment("starting"), replicas: { old: metrics(1) } };
    const after = applySocketMessage(before, { type: "snapshot", deployment: deployment("running"), metrics: { "3": metrics(5) }, samples: {}, errors: [] });
    expect(after.deployment?.observed_state).toBe("running");
    expect(Object.keys(after.replicas)).toEqual(["3"]);
  });

  it("updates one replica per metrics message and keeps the others", () => {
    let state = applySocketMessage(empty, { type: "metrics", replica: "1", metrics: metrics(1) });
    state = applySocketMessage(state, { type: "metrics", replica: "2", metrics: metrics(2) });
    state = applySocketMessage(state, { type: "metrics", replica: "1", metrics: metrics(3) });
    expect(state.replicas["1"]!.timestamp).toBe(3);
    expect(state.replicas["2"]!.timestamp).toBe(2);
  });

  it("does not mutate the previous state", () => {
    const before: FeedState = { deployment: null, replicas: {} };
    applySocketMessage(before, { type: "metrics", replica: "1", metrics: metrics(1) });
    expect(before.replicas).toEqual({});
  });

  it("replaces the deployment record on a deployment message", () => {
    const state = applySocketMessage(
      { deployment: deployment("running"), replicas: { "1": metrics(1) } },
      { type: "deployment", deployment: deployment("stopping") },
    );
    expect(state.deployment?.observed_state).toBe("stopping");
    expect(state.replicas["1"]).toBeDefined();
  });
});

describe("deploymentSocketUrl", () => {
  it("follows the page's scheme and host", () => {
    expect(deploymentSocketUrl({ protocol: "http:", host: "127.0.0.1:8000" }, 7)).toBe("ws://127.0.0.1:8000/ws/deployments/7/");
    expect(deploymentSocketUrl({ protocol: "https:", host: "riffle.example" }, 7)).toBe("wss://riffle.example/ws/deployments/7/");
  });
});

describe("reconnectDelay", () => {
  it("doubles up to a ceiling", () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3].map((a) => reconnectDelay(a, noJitter))).toEqual([500, 1000, 2000, 4000]);
    expect(reconnectDelay(20, noJitter)).toBe(15_000);
  });

  it("jitters downwards by at most a fifth", () => {
    expect(reconnectDelay(1, () => 1)).toBe(800);
    expect(reconnectDelay(1, () => 0.5)).toBe(900);
  });
});
