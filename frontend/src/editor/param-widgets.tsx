// Widgets of the property form beyond rjsf's own: a topic picker fed by the
// connection's topic list, and a code field for expressions.
import type { WidgetProps } from "@rjsf/utils";
import { useId } from "react";

/** What the editor hands every widget through rjsf's formContext. */
export interface ParamFormContext {
  topics: string[];
  fields: string[];
  functions: Array<{ name: string; signature?: string; doc?: string }>;
}

export function TopicWidget({ id, value, required, disabled, readonly, onChange, onBlur, label, formContext, placeholder }: WidgetProps) {
  const listId = useId();
  const topics = (formContext as ParamFormContext | undefined)?.topics ?? [];
  return (
    <>
      <input
        id={id}
        className="form-control"
        type="text"
        list={listId}
        value={typeof value === "string" ? value : ""}
        required={required}
        disabled={disabled || readonly}
        placeholder={placeholder || (topics.length ? "pick or type a topic" : "topic name")}
        aria-label={label || "Topic"}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        onBlur={(e) => onBlur(id, e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <datalist id={listId}>
        {topics.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
    </>
  );
}

/** A plain code field; replaced by the CodeMirror editor where it is available. */
export function PlainExpressionWidget({ id, value, required, disabled, readonly, onChange, onBlur, label }: WidgetProps) {
  return (
    <textarea
      id={id}
      className="form-control expression-input"
      value={typeof value === "string" ? value : ""}
      required={required}
      disabled={disabled || readonly}
      rows={2}
      aria-label={label || "Expression"}
      spellCheck={false}
      onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      onBlur={(e) => onBlur(id, e.target.value)}
    />
  );
}
