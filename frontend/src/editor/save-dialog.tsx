// Saving the draft as a new version, with a message saying what changed.
import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client";
import { Modal } from "../components/modal";
import type { Problem } from "../types/document";

export function SaveDialog({
  open,
  nextNumber,
  errors,
  onSave,
  onClose,
}: {
  open: boolean;
  nextNumber: number;
  errors: number;
  onSave: (message: string) => Promise<void>;
  onClose: () => void;
}) {
  const [message, setMessage] = useState("");
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<{ message: string; problems: Problem[] } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setFailure(null);
    try {
      await onSave(message.trim());
      setMessage("");
    } catch (e) {
      setFailure({
        message: e instanceof Error ? e.message : String(e),
        problems: e instanceof ApiError ? e.problems : [],
      });
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal title={`Save version ${nextNumber}`} open={open} onClose={onClose} className="modal--narrow">
      <form onSubmit={submit} className="form-stack">
        <label className="field">
          <span className="field__label">What changed</span>
          <textarea
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            rows={3}
            placeholder="e.g. count words in lower case"
            autoFocus
          />
        </label>
        {errors > 0 && (
          <p className="inline-warning">
            The draft has {errors} validation error{errors === 1 ? "" : "s"}; the studio saves it, but it cannot be
            deployed until they are fixed.
          </p>
        )}
        {failure && (
          <div className="inline-error" role="alert">
            <p>{failure.message}</p>
            {failure.problems.length > 0 && (
              <ul>
                {failure.problems.map((p, i) => (
                  <li key={i}>
                    {p.node_id && <code>{p.node_id}</code>} {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={pending}>
            {pending ? "Saving…" : `Save version ${nextNumber}`}
          </button>
        </div>
      </form>
    </Modal>
  );
}
