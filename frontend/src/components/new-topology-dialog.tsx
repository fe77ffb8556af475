// Creating an empty topology in one of the user's workspaces where they may edit.
import { type FormEvent, useState } from "react";
import { createTopology } from "../api/topologies";
import { navigate } from "../hooks/use-location";
import { paths } from "../lib/routes";
import type { WorkspaceSummary } from "../types/api";
import { Modal } from "./modal";

export function NewTopologyDialog({ workspaces, onClose }: { workspaces: WorkspaceSummary[]; onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [workspace, setWorkspace] = useState<number>(workspaces[0]?.id ?? 0);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const created = await createTopology({ workspace, name: name.trim(), description: description.trim() });
      navigate(paths.topology(created.id));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setPending(false);
    }
  };

  return (
    <Modal title="New topology" open onClose={onClose} className="modal--narrow">
      <form onSubmit={submit} className="form-stack">
        <label className="field">
          <span className="field__label">Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoFocus />
        </label>
        <label className="field">
          <span className="field__label">Description</span>
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={2} />
        </label>
        {workspaces.length > 1 && (
          <label className="field">
            <span className="field__label">Workspace</span>
            <select value={workspace} onChange={(e) => setWorkspace(Number(e.target.value))}>
              {workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={pending || !name.trim()}>
            {pending ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
