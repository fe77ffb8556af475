// The signed-in user's role in a workspace, from GET /api/me/: undefined while it loads
// (or when it cannot be read: the API checks every action anyway), null for a non-member.
import { fetchAccount } from "../api/deployment-controls";
import { roleIn } from "../lib/roles";
import type { Role } from "../types/dashboard";
import { useResource } from "./use-resource";

export function useWorkspaceRole(workspaceId: number | null | undefined): {
  role: Role | null | undefined;
  workspaceName: string | undefined;
} {
  const account = useResource((signal) => fetchAccount(signal), []);
  if (!account.data || workspaceId === null || workspaceId === undefined) {
    return { role: undefined, workspaceName: undefined };
  }
  return {
    role: roleIn(account.data, workspaceId),
    workspaceName: (account.data.workspaces ?? []).find((w) => w.id === workspaceId)?.name,
  };
}
