// The SPA's routes (docs/internals.md "Pages"): matching a path and building one.

export type Route =
  | { name: "topologies" }
  | { name: "topology"; id: number }
  | { name: "deployment"; id: number }
  | { name: "topics" }
  | { name: "audit" }
  | { name: "not-found"; path: string };

const PATTERNS: Array<[RegExp, (id: number) => Route]> = [
  [/^\/topologies\/(\d+)\/?$/, (id) => ({ name: "topology", id })],
  [/^\/deployments\/(\d+)\/?$/, (id) => ({ name: "deployment", id })],
];

export function matchRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "" || /^\/topologies\/?$/.test(pathname)) {
    return { name: "topologies" };
  }
  if (/^\/topics\/?$/.test(pathname)) return { name: "topics" };
  if (/^\/audit\/?$/.test(pathname)) return { name: "audit" };
  for (const [pattern, build] of PATTERNS) {
    const m = pattern.exec(pathname);
    if (m) return build(Number(m[1]));
  }
  return { name: "not-found", path: pathname };
}

export const paths = {
  topologies: (): string => "/",
  topology: (id: number): string => `/topologies/${id}`,
  deployment: (id: number): string => `/deployments/${id}`,
  topics: (): string => "/topics",
  audit: (): string => "/audit",
  login: (next?: string): string =>
    next && next !== "/" ? `/login/?next=${encodeURIComponent(next)}` : "/login/",
};
