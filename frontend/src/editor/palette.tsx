// The node palette: the catalog grouped as the canvas draws it, searchable. A type is
// dragged onto the canvas, or added at the centre with a click or Enter.
import { memo, useMemo, useState } from "react";
import { paletteGroups } from "../lib/editing";
import { nodeConfig } from "../nodes";
import type { CatalogEntry } from "../types/catalog";

/** The drag payload's type: a catalog node type. */
export const NODE_TYPE_MIME = "application/x-riffle-node-type";

export const Palette = memo(function Palette({
  entries,
  disabled,
  onAdd,
}: {
  entries: readonly CatalogEntry[];
  disabled?: string | null;
  onAdd: (entry: CatalogEntry) => void;
}) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => paletteGroups(entries, query), [entries, query]);

  return (
    <nav className="palette" aria-label="Node palette">
      <div className="palette__search">
        <input
          type="search"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {disabled && <p className="palette__disabled">{disabled}</p>}
      <div className="palette__groups">
        {groups.length === 0 && <p className="muted palette__empty">No node matches “{query}”.</p>}
        {groups.map((group) => {
          const family = nodeConfig[group.family];
          const Icon = family.icon;
          return (
            <section key={group.family} className="palette__group" aria-label={family.title}>
              <h2 className="palette__group-title">
                <Icon size={13} style={{ color: family.color }} />
                {family.title}
              </h2>
              <ul>
                {group.entries.map((entry) => (
                  <li key={entry.type}>
                    <button
                      type="button"
                      className="palette__item"
                      style={{ ["--family-color" as string]: family.color }}
                      draggable={!disabled}
                      disabled={Boolean(disabled)}
                      data-node-type={entry.type}
                      title={entry.description}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(NODE_TYPE_MIME, entry.type);
                        e.dataTransfer.effectAllowed = "move";
                      }}
                      onClick={() => onAdd(entry)}
                    >
                      <span className="palette__item-title">{entry.title}</span>
                      <span className="palette__item-type">{entry.type}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </nav>
  );
});
