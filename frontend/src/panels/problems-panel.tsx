// Validation problems of the version; clicking one with a node focuses that node.
import { AlertIcon } from "../components/icons";
import { useFocusNode } from "../hooks/use-focus-node";
import type { Problem } from "../types/document";

export function ProblemsPanel({ problems }: { problems: Problem[] }) {
  const focusNode = useFocusNode();
  if (problems.length === 0) {
    return (
      <section className="panel problems problems--clean" aria-labelledby="problems-title">
        <h2 id="problems-title" className="panel__title panel__title--small">
          Validation
        </h2>
        <p className="ok-line">
          <span className="ok-dot" aria-hidden="true" /> No problems: this version compiles.
        </p>
      </section>
    );
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  return (
    <section className="panel problems" aria-labelledby="problems-title" data-testid="problems">
      <h2 id="problems-title" className="panel__title panel__title--small">
        Validation · {errors} error{errors === 1 ? "" : "s"}, {problems.length - errors} warning
        {problems.length - errors === 1 ? "" : "s"}
      </h2>
      <ul className="problems__list">
        {problems.map((problem, i) => {
          const body = (
            <>
              <AlertIcon size={14} className={`problems__icon is-${problem.severity === "error" ? "error" : "warning"}`} />
              <span className="problems__text">
                {problem.node_id && <code>{problem.node_id}</code>}
                {problem.path && <span className="problems__path">{problem.path}</span>}
                <span>{problem.message}</span>
              </span>
            </>
          );
          return (
            <li key={`${problem.node_id}-${problem.path}-${i}`}>
              {problem.node_id ? (
                <button
                  type="button"
                  className="problems__item"
                  onClick={() => focusNode(problem.node_id!)}
                  title={`Show node ${problem.node_id}`}
                >
                  {body}
                </button>
              ) : (
                <div className="problems__item">{body}</div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
