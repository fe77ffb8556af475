// "Export as Python": the program the studio generates for a saved version
// (runtime.spec.export_python), to read, copy or download.
import { exportPython } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { Modal } from "../components/modal";
import { useResource } from "../hooks/use-resource";

export function PythonDialog({
  topologyId,
  versionNumber,
  dirty,
  onClose,
}: {
  topologyId: number;
  versionNumber: number;
  dirty: boolean;
  onClose: () => void;
}) {
  const program = useResource((signal) => exportPython(topologyId, versionNumber, signal), [topologyId, versionNumber]);
  return (
    <Modal title={`Version ${versionNumber} as Python`} open onClose={onClose} className="modal--wide">
      {dirty && <p className="inline-warning">This is the saved version {versionNumber}; save the draft to include your changes.</p>}
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
              href={`/api/topologies/${topologyId}/versions/${versionNumber}/export/?download=1`}
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
