// The deploy dialog's form: turning its fields into the body of POST /api/deployments/
// and the API's problems back into messages under each field. Pure functions, no React.
import type { Problem } from "../types/document";
import type { OnError } from "../types/api";
import type { NewDeploymentBody, ProcessingGuarantee } from "../types/dashboard";

export const MIN_REPLICAS = 1;
export const MAX_REPLICAS = 32;
/** studio.deployments.models.APPLICATION_ID_RE / APPLICATION_ID_MAX. */
export const APPLICATION_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
export const APPLICATION_ID_MAX = 120;

export const GUARANTEES: ReadonlyArray<{ value: ProcessingGuarantee; label: string; help: string }> = [
  {
    value: "at_least_once",
    label: "At least once",
    help: "Every record is processed; after a failure some may be processed again.",
  },
  {
    value: "exactly_once_v2",
    label: "Exactly once (v2)",
    help: "Output, state and input offsets commit in one Kafka transaction.",
  },
];

export const ON_ERROR_CHOICES: ReadonlyArray<{ value: OnError; label: string; help: string }> = [
  {
    value: "fail",
    label: "Stop",
    help: "The replica stops with the error (Kafka Streams' default): nothing is skipped unseen.",
  },
  {
    value: "continue",
    label: "Skip and log",
    help: "The record is skipped; the dashboard lists it with its error.",
  },
  {
    value: "dead_letter",
    label: "Dead-letter topic",
    help: "The record is skipped after being written, as read, to a topic with headers naming the error.",
  },
];
/** studio.connections.serializers.TOPIC_NAME_RE. */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

export type DeployField =
  | "connection"
  | "application_id"
  | "processing_guarantee"
  | "replicas"
  | "on_error"
  | "dead_letter_topic";

export const DEPLOY_FIELDS: readonly DeployField[] = [
  "connection",
  "application_id",
  "processing_guarantee",
  "replicas",
  "on_error",
  "dead_letter_topic",
];

export interface DeployForm {
  /** Connection id as the select gives it; "" for none chosen. */
  connection: string;
  applicationId: string;
  guarantee: ProcessingGuarantee;
  /** As typed in the number input. */
  replicas: string;
  onError: OnError;
  /** As typed; empty: the server names it "<application.id>-dlq". */
  deadLetterTopic: string;
}

export type FieldErrors = Partial<Record<DeployField, string[]>>;

/** The API's field messages by field, and the rest (the document's problems, say) apart. */
export interface MappedProblems {
  fields: FieldErrors;
  other: string[];
}

/**
 * The request body, or the field errors the server would answer (so the user hears of
 * them without a round trip). An empty application.id is left out: the server then
 * names the deployment "riffle-<topology>-v<number>".
 */
export function buildDeployRequest(
  versionId: number,
  form: DeployForm,
): { body: NewDeploymentBody; errors: null } | { body: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const connection = Number(form.connection);
  if (form.connection.trim() === "" || !Number.isInteger(connection) || connection < 1) {
    errors.connection = ["Choose the Kafka connection to run on."];
  }
  const applicationId = form.applicationId.trim();
  if (applicationId && !APPLICATION_ID_PATTERN.test(applicationId)) {
    errors.application_id = ["Use only letters, digits, '.', '_' and '-'."];
  } else if (applicationId.length > APPLICATION_ID_MAX) {
    errors.application_id = [`At most ${APPLICATION_ID_MAX} characters.`];
  }
  const replicas = Number(form.replicas);
  if (form.replicas.trim() === "" || !Number.isInteger(replicas) || replicas < MIN_REPLICAS || replicas > MAX_REPLICAS) {
    errors.replicas = [`A whole number from ${MIN_REPLICAS} to ${MAX_REPLICAS}.`];
  }
  if (!GUARANTEES.some((g) => g.value === form.guarantee)) {
    errors.processing_guarantee = ["Choose at least once or exactly once (v2)."];
  }
  if (!ON_ERROR_CHOICES.some((c) => c.value === form.onError)) {
    errors.on_error = ["Choose what a bad record does."];
  }
  const deadLetterTopic = form.onError === "dead_letter" ? form.deadLetterTopic.trim() : "";
  if (deadLetterTopic && !TOPIC_NAME_PATTERN.test(deadLetterTopic)) {
    errors.dead_letter_topic = ["Use 1 to 249 letters, digits, '.', '_' and '-'."];
  }
  if (Object.keys(errors).length > 0) return { body: null, errors };
  const body: NewDeploymentBody = {
    version: versionId,
    connection,
    processing_guarantee: form.guarantee,
    replicas,
    on_error: form.onError,
  };
  if (applicationId) body.application_id = applicationId;
  if (deadLetterTopic) body.dead_letter_topic = deadLetterTopic;
  return { body, errors: null };
}

/**
 * Sorts a 400's problems: those whose path is one of the form's fields go under that
 * field; the others (the version's document errors, `version`, a path-less message)
 * are listed apart, prefixed with their node or path when they have one.
 */
export function mapProblems(problems: readonly Problem[]): MappedProblems {
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const problem of problems) {
    const field = DEPLOY_FIELDS.find((f) => problem.path === f);
    if (field && !problem.node_id) {
      (fields[field] ??= []).push(problem.message);
      continue;
    }
    const where = problem.node_id ?? (problem.path || null);
    other.push(where ? `${where}: ${problem.message}` : problem.message);
  }
  return { fields, other };
}

/** Django's slugify (ASCII), as the server names a default application.id. */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[^\x00-\x7f]/g, "")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/[-\s]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
}

/**
 * The application.id the server gives a deployment left without one,
 * "riffle-<topology slug>-v<number>" (with "-2", "-3"… when that is taken).
 */
export function defaultApplicationId(topologyName: string, versionNumber: number): string {
  const slug = slugify(topologyName).slice(0, 80) || "topology";
  return `riffle-${slug}-v${versionNumber}`;
}
