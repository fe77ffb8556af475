// Roles in a workspace, each including the ones before it (studio/workspaces/access.py).
import type { Me, Role } from "../types/api";

export const ROLES: readonly Role[] = ["viewer", "editor", "operator", "admin"];

export function roleIn(me: Me | undefined, workspaceId: number | undefined): Role | null {
  if (!me || workspaceId === undefined) return null;
  if (me.is_superuser) return "admin";
  return me.workspaces?.find((w) => w.id === workspaceId)?.role ?? null;
}

/** Null when `role` may do what needs `needed`; otherwise the reason to show on the control. */
export function roleRefusal(role: Role | null, needed: Role, what: string): string | null {
  if (role !== null && ROLES.indexOf(role) >= ROLES.indexOf(needed)) return null;
  return `${what} needs the ${needed} role in this workspace${role ? `; you are a ${role}` : ""}.`;
}
