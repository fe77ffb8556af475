// Field paths seen in a few records of some topics, for expression completion: reads up
// to `limit` records of each topic from its start as JSON and lists their values' fields.
import { useEffect, useState } from "react";
import { fetchRecords } from "../api/connections-topics";
import { fieldPaths } from "../lib/expression-completion";

export function useTopicFields(connectionId: number | undefined, topics: readonly string[], limit = 50): string[] {
  const [fields, setFields] = useState<string[]>([]);
  const key = topics.join("\n");
  useEffect(() => {
    if (connectionId === undefined || key === "") {
      setFields([]);
      return;
    }
    const controller = new AbortController();
    const reads = key.split("\n").map((topic) =>
      fetchRecords(connectionId, topic, { limit, key_serde: "string", value_serde: "json" }, controller.signal).then(
        (page) => page.records.filter((r) => r.value_error === null).map((r) => r.value),
        () => [] as unknown[], // a missing or unreadable topic has no fields to offer
      ),
    );
    void Promise.all(reads).then((values) => {
      if (!controller.signal.aborted) setFields(fieldPaths(values.flat()));
    });
    return () => controller.abort();
  }, [connectionId, key, limit]);
  return fields;
}
