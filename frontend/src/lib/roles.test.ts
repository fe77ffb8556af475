import { describe, expect, it } from "vitest";
import type { Account } from "../types/dashboard";
import { hasRole, refusal, roleIn } from "./roles";

const workspace = (id: number, role: "viewer" | "editor" | "operator" | "admin") => ({
  id,
  name: `ws${id}`,
  slug: `ws${id}`,
  description: "",
  role,
  created_at: "2026-01-01T00:00:00Z",
});

const account = (overrides: Partial<Account> = {}): Account => ({
  username: "ann",
  is_superuser: false,
  workspaces: [workspace(1, "viewer"), workspace(2, "operator")],
  ...overrides,
});

describe("roleIn", () => {
  it("is the user's role in that workspace", () => {
    expect(roleIn(account(), 1)).toBe("viewer");
    expect(roleIn(account(), 2)).toBe("operator");
  });

  it("is null outside the user's workspaces and without an account", () => {
    expect(roleIn(account(), 3)).toBeNull();
    expect(roleIn(null, 1)).toBeNull();
  });

  it("makes a superuser an admin everywhere", () => {
    expect(roleIn(account({ is_superuser: true, workspaces: [] }), 7)).toBe("admin");
  });
});

describe("hasRole", () => {
  it("orders viewer < editor < operator < admin", () => {
    expect(hasRole("operator", "operator")).toBe(true);
    expect(hasRole("admin", "operator")).toBe(true);
    expect(hasRole("editor", "operator")).toBe(false);
    expect(hasRole("viewer", "editor")).toBe(false);
    expect(hasRole(null, "viewer")).toBe(false);
  });
});

describe("refusal", () => {
  it("says which role the action needs and which the user has", () => {
    expect(refusal("Scaling the deployment", "viewer", "operator", "team")).toBe(
      "Scaling the deployment needs the operator role in workspace 'team'; you are a viewer.",
    );
    expect(refusal("Restarting", "editor", "operator")).toBe("Restarting needs the operator role; you are an editor.");
    expect(refusal("Restarting", null, "operator")).toBe("Restarting needs the operator role; you are not a member.");
  });

  it("refuses nothing the role allows, nor while the role is still unknown", () => {
    expect(refusal("Stopping", "operator", "operator")).toBeNull();
    expect(refusal("Stopping", undefined, "operator")).toBeNull();
  });
});
