// The topic picker of the property form, fed by the connection's topic list, and what
// the form hands its widgets. (Expressions get components/expression-widget-lazy.tsx.)
import type { WidgetProps } from "@rjsf/utils";
import { useId } from "react";
import type { ExpressionFormContext } from "../lib/expression-widget";

/**
 * What the editor hands every widget through rjsf's formContext (rjsf 6 gives it to
 * widgets as `registry.formContext`): the connection's topics, and what the expression
 * editor takes (lib/expression-widget.ts).
 */
export interface ParamFormContext extends ExpressionFormContext {
  topics: string[];
}

export function TopicWidget({ id, value, required, disabled, readonly, onChange, onBlur, label, registry, placeholder }: WidgetProps) {
  const listId = useId();
  const topics = (registry.formContext as ParamFormContext | undefined)?.topics ?? [];
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
