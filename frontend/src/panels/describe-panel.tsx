// Topology.describe() text (Kafka Streams' format), collapsible.
import { ChevronIcon } from "../components/icons";
import { useUiStore } from "../store/ui-context";

export function DescribePanel({ text }: { text: string }) {
  const open = useUiStore((s) => s.describeOpen);
  const setOpen = useUiStore((s) => s.setDescribeOpen);
  return (
    <section className="panel describe">
      <h2 className="describe__heading">
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls="describe-text"
          onClick={() => setOpen(!open)}
        >
          <ChevronIcon className={`disclosure__chevron${open ? " is-open" : ""}`} />
          Topology description
          <span className="disclosure__hint">sub-topologies, processors, stores and topics as the engine sees them</span>
        </button>
      </h2>
      {open && (
        <pre id="describe-text" className="describe__text" data-testid="describe-text">
          {text.trim() || "The engine gave no description for this version."}
        </pre>
      )}
    </section>
  );
}
