// The audit log: who did what to which object, newest first, filtered and paged.
import { type FormEvent, memo, useState } from "react";
import { fetchAudit } from "../api/audit";
import { fetchMeWithWorkspaces } from "../api/connections-topics";
import { EmptyState, ErrorMessage, Spinner } from "../components/feedback";
import { useResource } from "../hooks/use-resource";
import { formatCount, formatDateTime } from "../lib/format";
import type { AuditEvent, AuditFilter } from "../types/audit";
import { Field } from "../panels/topic-records";

const PAGE_SIZE = 50;
// The models whose changes are recorded (AuditEvent.object_type is the model's name).
// Token events are recorded on the user.
const OBJECT_TYPES = ["topology", "topologyversion", "deployment", "connection", "workspace", "user"];
const VERBS = [
  "topology.create", "topology.update", "topology.delete", "version.create",
  "deployment.start", "deployment.stop", "deployment.scale", "deployment.restart",
  "deployment.reset", "deployment.reset.done", "deployment.reset.failed", "deployment.side_by_side",
  "deployment.promote", "deployment.discard", "deployment.discard.done", "deployment.discard.failed",
  "connection.create", "connection.update", "connection.delete", "topic.create",
  "workspace.create", "workspace.update", "workspace.delete", "member.add", "member.update", "member.remove",
  "token.create", "token.revoke",
];

interface Draft {
  workspace: string;
  object_type: string;
  actor: string;
  verb: string;
}

const EMPTY: Draft = { workspace: "", object_type: "", actor: "", verb: "" };

function toFilter(draft: Draft): AuditFilter {
  return {
    workspace: draft.workspace ? Number(draft.workspace) : undefined,
    object_type: draft.object_type.trim() || undefined,
    actor: draft.actor.trim() || undefined,
    verb: draft.verb.trim() || undefined,
  };
}

export function AuditPage() {
  const me = useResource((signal) => fetchMeWithWorkspaces(signal), []);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [filter, setFilter] = useState<AuditFilter>({});
  const [page, setPage] = useState(1);
  const events = useResource((signal) => fetchAudit(filter, page, PAGE_SIZE, signal), [JSON.stringify(filter), page]);
  const pages = events.data ? Math.max(1, Math.ceil(events.data.count / PAGE_SIZE)) : 1;
  const workspaceName = (id: number | null) =>
    id == null ? "your account" : (me.data?.workspaces.find((w) => w.id === id)?.name ?? `workspace ${id}`);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilter(toFilter(draft));
    setPage(1);
  };
  const change = (field: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value }));

  return (
    <main className="page audit-page">
      <header className="page-header">
        <div className="page-header__main">
          <h1 className="page-title">Audit log</h1>
          <p className="page-meta">Changes in your workspaces and to your own account, newest first.</p>
        </div>
      </header>
      <form className="panel audit-filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Workspace" htmlFor="audit-workspace">
          <select id="audit-workspace" className="form-control" value={draft.workspace} onChange={change("workspace")}>
            <option value="">All</option>
            {me.data?.workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Object type" htmlFor="audit-object-type">
          <input
            id="audit-object-type"
            className="form-control"
            list="audit-object-types"
            value={draft.object_type}
            onChange={change("object_type")}
            placeholder="any"
          />
          <datalist id="audit-object-types">
            {OBJECT_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </Field>
        <Field label="Actor" htmlFor="audit-actor">
          <input id="audit-actor" className="form-control" value={draft.actor} onChange={change("actor")} placeholder="username" />
        </Field>
        <Field label="Verb" htmlFor="audit-verb">
          <input
            id="audit-verb"
            className="form-control"
            list="audit-verbs"
            value={draft.verb}
            onChange={change("verb")}
            placeholder="e.g. deployment.start"
          />
          <datalist id="audit-verbs">
            {VERBS.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </Field>
        <div className="button-row audit-filters__actions">
          <button type="submit" className="button button--primary">
            Apply
          </button>
          <button
            type="button"
            className="button button--ghost"
            onClick={() => {
              setDraft(EMPTY);
              setFilter({});
              setPage(1);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {events.loading && !events.data && <Spinner label="Loading the audit log" />}
      {events.error && <ErrorMessage error={events.error} onRetry={events.reload} />}
      {events.data && events.data.results.length === 0 && <EmptyState title="No events">Nothing recorded matches these filters.</EmptyState>}
      {events.data && events.data.results.length > 0 && (
        <section className="panel" aria-labelledby="audit-title">
          <div className="panel__title-row">
            <h2 id="audit-title" className="panel__title panel__title--small">
              Events <span className="panel__title-aside">{formatCount(events.data.count)}</span>
            </h2>
            {events.loading && <span className="muted">Refreshing…</span>}
          </div>
          <div className="table-scroll table-scroll--tall">
            <table className="data-table" data-testid="audit-events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Verb</th>
                  <th scope="col">Object</th>
                  <th scope="col">Workspace</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {events.data.results.map((e) => (
                  <AuditRow key={e.id} event={e} workspace={workspaceName(e.workspace)} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="records-pager" aria-label="Audit log pages">
            <span className="muted">
              Page {page} of {pages}
            </span>
            <div className="button-row">
              <button type="button" className="button button--secondary" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Newer
              </button>
              <button type="button" className="button button--secondary" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
                Older
              </button>
            </div>
          </nav>
        </section>
      )}
    </main>
  );
}

const AuditRow = memo(function AuditRow({ event, workspace }: { event: AuditEvent; workspace: string }) {
  const details = Object.keys(event.data).length ? JSON.stringify(event.data) : "";
  return (
    <tr data-testid="audit-event" data-verb={event.verb}>
      <td className="nowrap" title={event.at}>
        {formatDateTime(event.at)}
      </td>
      <td>{event.actor ?? <span className="muted">system</span>}</td>
      <td className="mono">{event.verb}</td>
      <td className="mono">
        {event.object_type}:{event.object_id}
      </td>
      <td>{workspace}</td>
      <td className="mono value-cell" title={details}>
        {details}
      </td>
    </tr>
  );
});
