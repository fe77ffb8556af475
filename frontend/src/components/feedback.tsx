// Loading, empty and error states shared by the pages.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import { paths } from "../lib/routes";
import { AlertIcon } from "./icons";

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="loading__spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

export function ErrorMessage({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const needsLogin = error instanceof ApiError && error.unauthenticated;
  return (
    <div className="alert alert--error" role="alert">
      <AlertIcon size={18} />
      <div className="alert__body">
        <p className="alert__title">{needsLogin ? "You are logged out" : "Something went wrong"}</p>
        <p>{error.message}</p>
      </div>
      {needsLogin ? (
        <a className="button button--secondary" href={paths.login(window.location.pathname)}>
          Log in
        </a>
      ) : (
        onRetry && (
          <button type="button" className="button button--secondary" onClick={onRetry}>
            Try again
          </button>
        )
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty__title">{title}</p>
      {children && <div className="empty__body">{children}</div>}
    </div>
  );
}
