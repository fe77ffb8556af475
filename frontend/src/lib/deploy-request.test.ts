import { describe, expect, it } from "vitest";
import { type DeployForm, buildDeployRequest, defaultApplicationId, mapProblems } from "./deploy-request";

const form = (overrides: Partial<DeployForm> = {}): DeployForm => ({
  connection: "3",
  applicationId: "",
  guarantee: "at_least_once",
  replicas: "1",
  onError: "fail",
  deadLetterTopic: "",
  ...overrides,
});

describe("buildDeployRequest", () => {
  it("sends numbers as numbers and leaves out an empty application.id (the server names it)", () => {
    expect(buildDeployRequest(12, form({ replicas: "4", guarantee: "exactly_once_v2" }))).toEqual({
      body: { version: 12, connection: 3, processing_guarantee: "exactly_once_v2", replicas: 4, on_error: "fail" },
      errors: null,
    });
  });

  it("sends a given application.id without its surrounding spaces", () => {
    const result = buildDeployRequest(1, form({ applicationId: "  orders-v2.blue_1 " }));
    expect(result.body?.application_id).toBe("orders-v2.blue_1");
  });

  it("refuses what the server would refuse, under each field", () => {
    const result = buildDeployRequest(1, form({ connection: "", applicationId: "has space", replicas: "33" }));
    expect(result.body).toBeNull();
    expect(Object.keys(result.errors ?? {}).sort()).toEqual(["application_id", "connection", "replicas"]);
  });

  it("accepts 1 and 32 replicas and refuses 0, fractions and text", () => {
    expect(buildDeployRequest(1, form({ replicas: "32" })).errors).toBeNull();
    for (const replicas of ["0", "1.5", "", "two"]) {
      expect(buildDeployRequest(1, form({ replicas })).errors?.replicas).toHaveLength(1);
    }
  });

  it("refuses an application.id longer than the server's 120 characters", () => {
    expect(buildDeployRequest(1, form({ applicationId: "a".repeat(120) })).errors).toBeNull();
    expect(buildDeployRequest(1, form({ applicationId: "a".repeat(121) })).errors?.application_id).toHaveLength(1);
  });
});

describe("mapProblems", () => {
  it("puts field problems under their field and the rest apart", () => {
    const mapped = mapProblems([
      { node_id: null, path: "application_id", severity: "error", message: "application.id 'x' is taken." },
      { node_id: null, path: "connection", severity: "error", message: "Choose the Kafka connection." },
      { node_id: "split", path: "params.expression", severity: "error", message: "bad expression" },
      { node_id: null, path: "version", severity: "error", message: "There is no topology version 9." },
      { node_id: null, path: "", severity: "error", message: "Something else." },
    ]);
    expect(mapped.fields).toEqual({
      application_id: ["application.id 'x' is taken."],
      connection: ["Choose the Kafka connection."],
    });
    expect(mapped.other).toEqual(["split: bad expression", "version: There is no topology version 9.", "Something else."]);
  });
});

describe("defaultApplicationId", () => {
  it("slugs the topology name as Django's slugify does", () => {
    expect(defaultApplicationId("Word count", 3)).toBe("riffle-word-count-v3");
    expect(defaultApplicationId("  Orders: EU / US  ", 1)).toBe("riffle-orders-eu-us-v1");
    expect(defaultApplicationId("Café — über", 2)).toBe("riffle-cafe-uber-v2");
  });

  it("has a fallback for a name with nothing left to slug", () => {
    expect(defaultApplicationId("☃", 1)).toBe("riffle-topology-v1");
  });
});

describe("what a bad record does", () => {
  it("sends the choice, and a dead-letter topic only with the dead-letter choice", () => {
    expect(buildDeployRequest(1, form({ onError: "continue", deadLetterTopic: "left.over" })).body).toEqual({
      version: 1, connection: 3, processing_guarantee: "at_least_once", replicas: 1, on_error: "continue",
    });
    expect(buildDeployRequest(1, form({ onError: "dead_letter", deadLetterTopic: " bad.words " })).body).toMatchObject({
      on_error: "dead_letter", dead_letter_topic: "bad.words",
    });
    // left empty, the server names it <application.id>-dlq
    expect(buildDeployRequest(1, form({ onError: "dead_letter" })).body).not.toHaveProperty("dead_letter_topic");
  });

  it("refuses a topic name Kafka would refuse, under its field", () => {
    expect(buildDeployRequest(1, form({ onError: "dead_letter", deadLetterTopic: "no spaces" })).errors).toEqual({
      dead_letter_topic: ["Use 1 to 249 letters, digits, '.', '_' and '-'."],
    });
  });

  it("puts the server's dead-letter problems under that field", () => {
    const mapped = mapProblems([{ message: "Use 1 to 249 ...", path: "dead_letter_topic", severity: "error" } as never]);
    expect(mapped.fields.dead_letter_topic).toEqual(["Use 1 to 249 ..."]);
  });
});
