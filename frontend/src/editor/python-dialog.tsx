// "Export as Python": the program the studio generates (runtime.spec.export_python) for
// the saved version, or for the draft when it has unsaved changes, to read, copy or
// download.
import { useEffect, useMemo, useState } from "react";
import { exportDraftPython, exportPython } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { Modal } from "../components/modal";
import { useResource } from "../hooks/use-resource";
import type { TopologyDocument } from "../types/document";

export function PythonDialog({
  topologyId,
  versionNumber,
  document,
  dirty,
  onClose,
}: {
  topologyId: number;
  /** The latest saved version; null when there is none yet. */
  versionNumber: number | null;
  document: TopologyDocument;
  dirty: boolean;
  onClose: () => void;
}) {
  // The draft as it was when the dialog opened: edits behind the dialog do not change it.
  const [draft] = useState(() => (dirty || versionNumber === null ? document : null));
  const program = useResource(
    (signal) => (draft ? exportDraftPython(draft) : exportPython(topologyId, versionNumber!, signal)),
    [draft, topologyId, versionNumber],
  );
  const source = program.data?.source;
  // A saved version downloads from its URL; the draft from the text in hand.
  const draftHref = useMemo(
    () => (draft && source !== undefined ? URL.createObjectURL(new Blob([source], { type: "text/x-python" })) : null),
    [draft, source],
  );
  useEffect(() => () => void (draftHref && URL.revokeObjectURL(draftHref)), [draftHref]);
  const title = draft ? "Draft as Python" : `Version ${versionNumber} as Python`;
  return (
    <Modal title={title} open onClose={onClose} className="modal--wide">
      {draft && (
        <p className="inline-warning">
          The unsaved draft{versionNumber !== null ? `, not the saved version ${versionNumber}` : ""}.
        </p>
      )}
      {program.error && <ErrorMessage error={program.error} onRetry={program.reload} />}
      {!program.data && !program.error && <Spinner label="Generating the program" />}
      {program.data && (
        <>
          <pre className="code-view" aria-label={`Python program ${program.data.filename}`} tabIndex={0}>
            {program.data.source}
          </pre>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => void navigator.clipboard?.writeText(program.data!.source)}>
              Copy
            </button>
            <a
              className="button button--primary"
              href={draftHref ?? `/api/topologies/${topologyId}/versions/${versionNumber}/export/?download=1`}
              download={program.data.filename}
            >
              Download {program.data.filename}
            </a>
          </div>
        </>
      )}
    </Modal>
  );
}
