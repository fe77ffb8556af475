import { describe, expect, it } from "vitest";
import { roleIn, roleRefusal } from "./roles";

describe("roles", () => {
  const me = { username: "ann", workspaces: [{ id: 1, name: "team", slug: "team", description: "", role: "editor" as const }] };

  it("reads the role in a workspace; a superuser is admin everywhere", () => {
    expect(roleIn(me, 1)).toBe("editor");
    expect(roleIn(me, 2)).toBeNull();
    expect(roleIn({ ...me, is_superuser: true }, 2)).toBe("admin");
  });

  it("refuses below the needed role with the reason, allows at or above", () => {
    expect(roleRefusal("editor", "editor", "Saving")).toBeNull();
    expect(roleRefusal("admin", "operator", "Deploying")).toBeNull();
    expect(roleRefusal("viewer", "editor", "Saving a version")).toBe(
      "Saving a version needs the editor role in this workspace; you are a viewer.",
    );
    expect(roleRefusal(null, "editor", "Saving")).toBe("Saving needs the editor role in this workspace.");
  });
});
