// Workspace roles as studio/workspaces/access.py orders them, and what the UI says when
// a control needs more than the user has. Pure functions, no React.
import type { Account, Role } from "../types/dashboard";

export const ROLES: readonly Role[] = ["viewer", "editor", "operator", "admin"];

/** The user's role in a workspace: admin everywhere for a superuser, null for a non-member. */
export function roleIn(account: Account | null | undefined, workspaceId: number | null | undefined): Role | null {
  if (!account) return null;
  if (account.is_superuser) return "admin";
  return (account.workspaces ?? []).find((w) => w.id === workspaceId)?.role ?? null;
}

export function hasRole(role: Role | null, needed: Role): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * Why a control needing `needed` is off for this user, in the API's words
 * ("Scaling the deployment needs the operator role; you are a viewer."), or null when
 * the user may use it. While the role is unknown (still loading) nothing is refused:
 * the API checks again anyway.
 */
export function refusal(
  action: string,
  role: Role | null | undefined,
  needed: Role,
  workspaceName?: string,
): string | null {
  if (role === undefined) return null;
  if (hasRole(role, needed)) return null;
  const where = workspaceName ? ` in workspace '${workspaceName}'` : "";
  const you = role === null ? "you are not a member" : `you are ${article(role)} ${role}`;
  return `${action} needs the ${needed} role${where}; ${you}.`;
}

function article(role: Role): string {
  return /^[aeiou]/.test(role) ? "an" : "a";
}
