// A modal dialog on the native <dialog>: the browser keeps focus inside it and makes
// the page behind inert; Escape, the close button and the backdrop close it.
import { type ReactNode, useEffect, useId, useRef } from "react";
import { CloseIcon } from "./icons";

export interface ModalProps {
  open: boolean;
  title: string;
  /** Called for Escape, the close button and a click on the backdrop. */
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  className?: string;
  testId?: string;
}

/**
 * A modal <dialog>: labelled by its title, Escape closes it, focus moves into it when
 * it opens (the first field, else the first button) and back to where it was after.
 */
export function Modal({ open, title, onClose, children, footer, className, testId }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      const first =
        dialog.querySelector<HTMLElement>(".modal__body :is(input, select, textarea):not(:disabled)") ??
        dialog.querySelector<HTMLElement>(".modal__body button:not(:disabled), .modal__footer button:not(:disabled)");
      first?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      opener.current?.focus();
      opener.current = null;
    }
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    return () => {
      if (dialog?.open) dialog.close();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`modal ${className ?? ""}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        // Escape: let the parent decide, so its `open` stays the truth.
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        if (event.target === ref.current) onClose();
      }}
    >
      <div className="modal__frame">
        <header className="modal__header">
          <h2 id={titleId} className="modal__title">
            {title}
          </h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <CloseIcon size={16} />
          </button>
        </header>
        <div className="modal__body">{open && children}</div>
        {footer && open && <footer className="modal__footer">{footer}</footer>}
      </div>
    </dialog>
  );
}
