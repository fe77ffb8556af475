// The chooser that opens when a port is dragged into empty space: the node types that
// fit the port, ready to be added there and connected.
import { useEffect, useRef } from "react";
import type { Suggestion } from "../lib/editing";

export function QuickAdd({
  at,
  suggestions,
  portLabel,
  onPick,
  onClose,
}: {
  at: { x: number; y: number };
  suggestions: Suggestion[];
  portLabel: string;
  onPick: (suggestion: Suggestion) => void;
  onClose: () => void;
}) {
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    list.current?.querySelector<HTMLButtonElement>("button")?.focus();
  }, []);
  return (
    <div
      className="quick-add"
      style={{ left: at.x, top: at.y }}
      role="dialog"
      aria-label={`Add a node to ${portLabel}`}
      ref={list}
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <p className="quick-add__title">Connect {portLabel} to…</p>
      {suggestions.length === 0 ? (
        <p className="muted">No node type takes this port.</p>
      ) : (
        <ul>
          {suggestions.map((s) => (
            <li key={s.entry.type}>
              <button type="button" className="quick-add__item" onClick={() => onPick(s)} title={s.entry.description}>
                {s.entry.title} <span className="muted">{s.entry.type}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button button--ghost quick-add__close" onClick={onClose}>
        Cancel
      </button>
    </div>
  );
}
