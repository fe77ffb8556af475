// Deploying a topology version: a modal <dialog> (the browser keeps focus inside it and
// closes it on Escape) asking for the Kafka connection, the application.id, the
// processing guarantee and the replica count, then POST /api/deployments/.
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { fetchConnections } from "../api/connections";
import { deploy } from "../api/deployment-controls";
import { useWorkspaceRole } from "../hooks/use-workspace-role";
import {
  type DeployForm,
  type FieldErrors,
  GUARANTEES,
  MAX_REPLICAS,
  ON_ERROR_CHOICES,
  MIN_REPLICAS,
  buildDeployRequest,
  defaultApplicationId,
  mapProblems,
} from "../lib/deploy-request";
import { refusal } from "../lib/roles";
import type { DeploymentRecord, KafkaConnection } from "../types/dashboard";
import { CloseIcon, DeployIcon } from "./icons";

export interface DeployDialogProps {
  versionId: number;
  versionNumber: number;
  workspaceId: number;
  topologyName: string;
  open: boolean;
  onClose(): void;
  onDeployed(deployment: DeploymentRecord): void;
}

const INITIAL: DeployForm = {
  connection: "",
  applicationId: "",
  guarantee: "at_least_once",
  replicas: "1",
  onError: "fail",
  deadLetterTopic: "",
};

type Connections =
  | { state: "loading" }
  | { state: "loaded"; list: KafkaConnection[] }
  | { state: "failed"; message: string };

export function DeployDialog({
  versionId,
  versionNumber,
  workspaceId,
  topologyName,
  open,
  onClose,
  onDeployed,
}: DeployDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<DeployForm>(INITIAL);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [other, setOther] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [connections, setConnections] = useState<Connections>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const { role, workspaceName } = useWorkspaceRole(open ? workspaceId : null);
  const denied = refusal(`Deploying '${topologyName}'`, role, "operator", workspaceName);
  const ids = {
    title: useId(),
    intro: useId(),
    connection: useId(),
    applicationId: useId(),
    guarantee: useId(),
    replicas: useId(),
    onError: useId(),
    deadLetter: useId(),
    denied: useId(),
  };

  // The element follows `open`: showModal makes the rest of the page inert.
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      // The browser focuses the first focusable element, the Close button: start on the form.
      element.querySelector<HTMLElement>(".deploy-field :is(select, input):not(:disabled)")?.focus();
    }
    if (!open && element.open) element.close();
  }, [open]);

  // A fresh form each time it opens.
  useEffect(() => {
    if (!open) return;
    setForm(INITIAL);
    setErrors({});
    setOther([]);
    setMessage(null);
  }, [open, versionId]);

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    setConnections({ state: "loading" });
    fetchConnections(workspaceId, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setConnections({ state: "loaded", list: page.results });
        // The only cluster there is, is the obvious choice (the API makes it too).
        const only = page.results.length === 1 ? page.results[0] : undefined;
        if (only) setForm((f) => (f.connection ? f : { ...f, connection: String(only.id) }));
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setConnections({ state: "failed", message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => controller.abort();
  }, [open, workspaceId, attempt]);

  const update = <K extends keyof DeployForm>(key: K, value: DeployForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (submitting || denied) return;
    const request = buildDeployRequest(versionId, form);
    setOther([]);
    setMessage(null);
    if (request.errors) {
      setErrors(request.errors);
      focusFirstInvalid(dialog.current);
      return;
    }
    setErrors({});
    setSubmitting(true);
    try {
      const deployment = await deploy(request.body);
      onDeployed(deployment);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && error.problems.length > 0) {
        const mapped = mapProblems(error.problems);
        setErrors(mapped.fields);
        setOther(mapped.other);
        // When every problem sits under its field, the summary would only repeat them.
        setMessage(mapped.other.length > 0 || Object.keys(mapped.fields).length === 0 ? error.message : null);
        focusFirstInvalid(dialog.current);
      } else {
        setMessage(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  const list = connections.state === "loaded" ? connections.list : [];
  const noConnection = connections.state === "loaded" && list.length === 0;
  const placeholder = defaultApplicationId(topologyName, versionNumber);

  return (
    <dialog
      ref={dialog}
      className="deploy-dialog"
      aria-labelledby={ids.title}
      aria-describedby={ids.intro}
      onCancel={(event) => {
        // Escape: let the parent decide (it owns `open`).
        event.preventDefault();
        if (!submitting) onClose();
      }}
      data-testid="deploy-dialog"
    >
      <form className="deploy-dialog__form" onSubmit={submit} noValidate>
        <header className="deploy-dialog__header">
          <h2 id={ids.title} className="deploy-dialog__title">
            Deploy {topologyName} <span className="muted">version {versionNumber}</span>
          </h2>
          <button type="button" className="button button--ghost deploy-dialog__close" onClick={onClose} aria-label="Close" disabled={submitting}>
            <CloseIcon size={16} />
          </button>
        </header>
        <p id={ids.intro} className="muted deploy-dialog__intro">
          The version runs as a Kafka Streams application on the workers, as many replicas as you choose, all in one
          consumer group.
        </p>

        <div className="deploy-field">
          <label htmlFor={ids.connection} className="deploy-field__label">
            Kafka connection
          </label>
          {connections.state === "failed" ? (
            <div className="inline-error" role="alert">
              The connections could not be loaded: {connections.message}{" "}
              <button type="button" className="button button--ghost" onClick={() => setAttempt((a) => a + 1)}>
                Try again
              </button>
            </div>
          ) : (
            <select
              id={ids.connection}
              className="input"
              value={form.connection}
              onChange={(e) => update("connection", e.target.value)}
              disabled={noConnection}
              aria-busy={connections.state === "loading"}
              aria-invalid={Boolean(errors.connection)}
              aria-describedby={describe(ids.connection, errors.connection, noConnection)}
              required
            >
              <option value="">
                {connections.state === "loading" ? "Loading connections…" : noConnection ? "No connection" : "Choose a connection"}
              </option>
              {list.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.bootstrap_servers})
                </option>
              ))}
            </select>
          )}
          {noConnection && (
            <p id={`${ids.connection}-help`} className="deploy-field__help">
              This workspace has no Kafka connection yet: an admin of the workspace adds one first.
            </p>
          )}
          <FieldError id={`${ids.connection}-error`} messages={errors.connection} />
        </div>

        <div className="deploy-field">
          <label htmlFor={ids.applicationId} className="deploy-field__label">
            application.id <span className="muted">(optional)</span>
          </label>
          <input
            id={ids.applicationId}
            className="input mono"
            type="text"
            value={form.applicationId}
            onChange={(e) => update("applicationId", e.target.value)}
            placeholder={placeholder}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={Boolean(errors.application_id)}
            aria-describedby={describe(ids.applicationId, errors.application_id, true)}
          />
          <p id={`${ids.applicationId}-help`} className="deploy-field__help">
            Names the consumer group and the internal topics. Left empty, it is <code>{placeholder}</code> (with a number
            added if that is taken).
          </p>
          <FieldError id={`${ids.applicationId}-error`} messages={errors.application_id} />
        </div>

        <RadioChoices
          legend="Processing guarantee"
          name="processing_guarantee"
          choices={GUARANTEES}
          value={form.guarantee}
          onChange={(value) => update("guarantee", value)}
          errorId={`${ids.guarantee}-error`}
          errors={errors.processing_guarantee}
        />

        <div className="deploy-field">
          <label htmlFor={ids.replicas} className="deploy-field__label">
            Replicas
          </label>
          <input
            id={ids.replicas}
            className="input deploy-dialog__replicas"
            type="number"
            inputMode="numeric"
            min={MIN_REPLICAS}
            max={MAX_REPLICAS}
            step={1}
            value={form.replicas}
            onChange={(e) => update("replicas", e.target.value)}
            aria-invalid={Boolean(errors.replicas)}
            aria-describedby={describe(ids.replicas, errors.replicas, true)}
          />
          <p id={`${ids.replicas}-help`} className="deploy-field__help">
            {MIN_REPLICAS} to {MAX_REPLICAS}. Kafka spreads the input partitions over them; more replicas than partitions
            leaves some idle.
          </p>
          <FieldError id={`${ids.replicas}-error`} messages={errors.replicas} />
        </div>

        <RadioChoices
          legend="A record that cannot be read or processed"
          name="on_error"
          choices={ON_ERROR_CHOICES}
          value={form.onError}
          onChange={(value) => update("onError", value)}
          errorId={`${ids.onError}-error`}
          errors={errors.on_error}
        />

        {form.onError === "dead_letter" && (
          <div className="deploy-field">
            <label htmlFor={ids.deadLetter} className="deploy-field__label">
              Dead-letter topic
            </label>
            <input
              id={ids.deadLetter}
              className="input"
              value={form.deadLetterTopic}
              onChange={(e) => update("deadLetterTopic", e.target.value)}
              placeholder={`${form.applicationId.trim() || defaultApplicationId(topologyName, versionNumber)}-dlq`}
              spellCheck={false}
              aria-invalid={Boolean(errors.dead_letter_topic)}
              aria-describedby={describe(ids.deadLetter, errors.dead_letter_topic, true)}
            />
            <p id={`${ids.deadLetter}-help`} className="deploy-field__help">
              Made when the deployment starts if it does not exist. Left empty: <code>&lt;application.id&gt;-dlq</code>.
            </p>
            <FieldError id={`${ids.deadLetter}-error`} messages={errors.dead_letter_topic} />
          </div>
        )}

        {(message || other.length > 0) && (
          <div className="inline-error deploy-dialog__errors" role="alert">
            {message && <p>{message}</p>}
            {other.length > 0 && (
              <ul>
                {other.map((text, i) => (
                  <li key={i}>{text}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        {denied && (
          <p id={ids.denied} className="controls-note">
            {denied}
          </p>
        )}

        <footer className="deploy-dialog__footer">
          <button type="button" className="button button--secondary" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={submitting || denied !== null || noConnection || connections.state !== "loaded"}
            aria-describedby={denied ? ids.denied : undefined}
            title={denied ?? undefined}
            data-testid="deploy-submit"
          >
            <DeployIcon size={14} />
            {submitting ? "Deploying…" : `Deploy version ${versionNumber}`}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

function RadioChoices<T extends string>({
  legend,
  name,
  choices,
  value,
  onChange,
  errorId,
  errors,
}: {
  legend: string;
  name: string;
  choices: ReadonlyArray<{ value: T; label: string; help: string }>;
  value: T;
  onChange(value: T): void;
  errorId: string;
  errors: string[] | undefined;
}) {
  return (
    <fieldset className="deploy-field" aria-describedby={errors ? errorId : undefined}>
      <legend className="deploy-field__label">{legend}</legend>
      {choices.map((c) => (
        <label key={c.value} className="deploy-choice">
          <input type="radio" name={name} value={c.value} checked={value === c.value} onChange={() => onChange(c.value)} />
          <span>
            <span className="deploy-choice__label">{c.label}</span>
            <span className="deploy-choice__help">{c.help}</span>
          </span>
        </label>
      ))}
      <FieldError id={errorId} messages={errors} />
    </fieldset>
  );
}

function FieldError({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="deploy-field__error">
      {messages.join(" ")}
    </p>
  );
}

/** The ids that describe a control: its help (when shown) and its error (when any). */
function describe(id: string, errors: string[] | undefined, hasHelp: boolean): string | undefined {
  const parts = [hasHelp ? `${id}-help` : null, errors?.length ? `${id}-error` : null].filter(Boolean);
  return parts.length ? parts.join(" ") : undefined;
}

function focusFirstInvalid(root: HTMLElement | null) {
  // After React has rendered the errors.
  window.setTimeout(() => root?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}
