// A code field for the expressions of topology documents (runtime.spec's Python subset):
// Python highlighting, completion of the kind's variables, of sample records' fields and
// of the whitelisted functions, and the compiler's error underlined where it points.
// One line by default: Enter does not break the line, Shift+Enter does (the compiler
// accepts expressions over several lines).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, setDiagnostics } from "@codemirror/lint";
import { Annotation, Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderText } from "@codemirror/view";
import type { WidgetProps } from "@rjsf/utils";
import { memo, useEffect, useRef } from "react";
import {
  type CompletionSources,
  type ExpressionFunction,
  completionOptions,
  completionSite,
} from "../lib/expression-completion";
import { type ExpressionErrorInfo, errorRange } from "../lib/expression-errors";
import { widgetEditorInput } from "../lib/expression-widget";

export interface ExpressionEditorProps {
  id: string;
  value: string;
  onChange(value: string): void;
  /** The expression kind (predicate, mapper, ...): a catalog parameter's `x-expression.kind`. */
  kind: string;
  /** The kind's variables (`key`, `value`, ...): `x-expression.variables`. */
  variables: string[];
  /** Dotted field paths of sample record values (`fieldPaths()` in lib/expression-completion). */
  fields: string[];
  /** The functions expressions may call (GET /api/functions/, `fetchExpressionFunctions()`). */
  functions: ExpressionFunction[];
  /** The compiler's error for the current text (POST /api/expressions/check/), or none. */
  error?: ExpressionErrorInfo | null;
  ariaLabel: string;
  onBlur?(): void;
  readOnly?: boolean;
  placeholder?: string;
}

// Marks the transactions that copy a new `value` prop in, so they are not echoed to onChange.
const fromProps = Annotation.define<boolean>();

const theme = EditorView.theme({
  "&": {
    fontSize: "12.5px",
    background: "var(--surface)",
    border: "1px solid var(--border-strong)",
    borderRadius: "var(--radius-s)",
  },
  "&.cm-focused": { outline: "none", borderColor: "var(--accent)", boxShadow: "var(--focus)" },
  "&.expression-editor--invalid": { borderColor: "var(--bad)" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.5", maxHeight: "9.5em" },
  ".cm-content": { padding: "4px 0", minHeight: "1.5em" },
  ".cm-line": { padding: "0 8px" },
  ".cm-placeholder": { color: "var(--text-faint)" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { background: "var(--accent-soft)", color: "var(--text)" },
  ".cm-completionDetail": { color: "var(--text-muted)", fontStyle: "normal", marginLeft: "0.8em" },
  ".cm-tooltip.cm-completionInfo": { maxWidth: "320px", padding: "6px 8px", fontFamily: "var(--font-sans)" },
});

function ExpressionEditorImpl(props: ExpressionEditorProps) {
  const { id, value, error, ariaLabel, readOnly = false, placeholder } = props;
  const host = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  // The editor is made once; callbacks and completion sources are read through refs.
  const latest = useRef(props);
  latest.current = props;
  const compartments = useRef({ attributes: new Compartment(), editable: new Compartment(), placeholder: new Compartment() });
  const errorId = `${id}__error`;

  useEffect(() => {
    const { attributes, editable, placeholder: placeholderSlot } = compartments.current;
    const complete = (context: CompletionContext): CompletionResult | null => {
      const site = completionSite(context.state.sliceDoc(0, context.pos));
      if (!site) return null;
      if (site.kind === "name" && site.prefix === "" && !context.explicit) return null;
      const { variables, fields, functions } = latest.current;
      const sources: CompletionSources = { variables, fields, functions };
      const options: Completion[] = completionOptions(site, sources).map((o) => ({
        label: o.label,
        type: o.type,
        detail: o.detail,
        info: o.info,
        apply: o.apply,
        boost: o.boost,
      }));
      if (options.length === 0) return null;
      const validFor = site.kind === "name" || site.kind === "method" ? /^\w*$/ : /^[^"'\\\n]*$/;
      return { from: site.from, options, validFor };
    };
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          history(),
          closeBrackets(),
          bracketMatching(),
          python(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          autocompletion({ override: [complete], icons: false }),
          Prec.high(
            keymap.of([
              { key: "Enter", run: () => true }, // one line unless asked: the form's Enter is not a newline
              { key: "Shift-Enter", run: insertNewlineAndIndent },
            ]),
          ),
          keymap.of([...closeBracketsKeymap, ...completionKeymap, ...historyKeymap, ...defaultKeymap]),
          EditorView.lineWrapping,
          theme,
          attributes.of([]),
          editable.of([]),
          placeholderSlot.of([]),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged) return;
            if (update.transactions.every((tr) => tr.annotation(fromProps))) return;
            latest.current.onChange(update.state.doc.toString());
          }),
          EditorView.domEventHandlers({
            blur: () => {
              latest.current.onBlur?.();
              return false;
            },
          }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
  }, []);

  // The value prop wins over the editor's text when they differ (an undo on the canvas, a reset).
  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const current = view.state.doc.toString();
    if (value === current) return;
    view.dispatch({
      changes: { from: 0, to: current.length, insert: value },
      annotations: fromProps.of(true),
    });
  }, [value]);

  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const { attributes, editable, placeholder: placeholderSlot } = compartments.current;
    const content: Record<string, string> = { id, "aria-label": ariaLabel };
    if (error) {
      content["aria-invalid"] = "true";
      content["aria-describedby"] = errorId;
    }
    view.dispatch({
      effects: [
        attributes.reconfigure([
          EditorView.contentAttributes.of(content),
          EditorView.editorAttributes.of({ class: error ? "expression-editor--invalid" : "" }),
        ]),
        editable.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
        placeholderSlot.reconfigure(placeholder ? placeholderText(placeholder) : []),
      ],
    });
  }, [id, ariaLabel, error, errorId, readOnly, placeholder]);

  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    const diagnostics: Diagnostic[] = error
      ? [{ ...errorRange(view.state.doc.toString(), error.line, error.column), severity: "error", message: error.message, source: "compiler" }]
      : [];
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }, [error, value]);

  return (
    <div className="expression-editor" data-kind={props.kind}>
      <div ref={host} data-testid={`expression-editor-${id}`} />
      {error && (
        <p id={errorId} className="inline-error expression-editor__error" role="alert">
          {error.line != null ? `Line ${error.line}, column ${error.column ?? 1}: ` : ""}
          {error.message}
        </p>
      )}
    </div>
  );
}

export const ExpressionEditor = memo(ExpressionEditorImpl);

export type { ExpressionFormContext } from "../lib/expression-widget";

/**
 * ExpressionEditor as an rjsf widget (rjsf 6's WidgetProps). Register it for schema
 * properties that carry `x-expression`, e.g. `uiSchema = {predicate: {"ui:widget":
 * ExpressionWidget}}`, or `widgets={{expression: ExpressionWidget}}` with
 * `"ui:widget": "expression"`. It reads:
 * - the kind and its variables from the property's schema: `x-expression: {kind,
 *   variables}` (runtime.spec's catalog);
 * - from the form's `formContext` (rjsf 6 hands it over as `registry.formContext`; see
 *   ExpressionFormContext in lib/expression-widget.ts): `expressionFields` (dotted field
 *   paths of sample record values, `fieldPaths()`), `expressionFunctions`
 *   (`fetchExpressionFunctions()`) and `expressionErrors` (compile errors from
 *   `checkExpression()`, keyed by the widget's rjsf id such as `root_predicate`, or else
 *   by the property's name).
 * An emptied field is reported to rjsf as undefined (rjsf's convention, so `required`
 * and `minLength` apply); blur calls rjsf's onBlur(id, value).
 */
export function ExpressionWidget(props: WidgetProps) {
  const { id, name, value, onChange, onBlur, schema, registry, label, disabled, readonly, placeholder } = props;
  const input = widgetEditorInput(schema as Record<string, unknown>, registry.formContext, id, name);
  const text = typeof value === "string" ? value : "";
  return (
    <ExpressionEditor
      id={id}
      value={text}
      onChange={(next) => onChange(next === "" ? undefined : next)}
      onBlur={() => onBlur(id, text)}
      kind={input.kind}
      variables={input.variables}
      fields={input.fields}
      functions={input.functions}
      error={input.error}
      ariaLabel={label || schema.title || name}
      readOnly={Boolean(disabled || readonly)}
      placeholder={placeholder || (input.variables.length ? `an expression of ${input.variables.join(", ")}` : undefined)}
    />
  );
}
