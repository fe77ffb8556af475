// The shell: top bar with the user and Log out, and the page for the current route.
import { Suspense, lazy, useEffect } from "react";
import { ApiError } from "./api/client";
import { fetchMe, logOut } from "./api/session";
import { Spinner } from "./components/feedback";
import { LogOutIcon } from "./components/icons";
import { Link } from "./components/link";
import { usePathname } from "./hooks/use-location";
import { useResource } from "./hooks/use-resource";
import { type Route, matchRoute, paths } from "./lib/routes";
import { NotFoundPage } from "./pages/not-found-page";
import { TopologiesPage } from "./pages/topologies-page";

// Each page's code is fetched when it is first shown: the editor (forms, validation
// library) and the dashboard (charts) stay out of the list page's load.
const TopologyPage = lazy(() => import("./pages/topology-page").then((m) => ({ default: m.TopologyPage })));
const DeploymentPage = lazy(() => import("./pages/deployment-page").then((m) => ({ default: m.DeploymentPage })));
const TopicsPage = lazy(() => import("./pages/topics-page").then((m) => ({ default: m.TopicsPage })));
const AuditPage = lazy(() => import("./pages/audit-page").then((m) => ({ default: m.AuditPage })));

export function App() {
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const me = useResource((signal) => fetchMe(signal), []);

  // Django serves this page only to logged-in users; a lost session still ends here.
  useEffect(() => {
    if (me.error instanceof ApiError && (me.error.status === 401 || me.error.status === 403)) {
      window.location.assign(paths.login(window.location.pathname));
    }
  }, [me.error]);

  const title = titleFor(route);
  useEffect(() => {
    document.title = `${title} · Riffle`;
  }, [title]);

  return (
    <div className="app">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={paths.topologies()} className="topbar__brand" aria-label="Riffle, all topologies">
          <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#1f2a44" />
            <path
              d="M6 11c4 0 4 4 8 4s4-4 8-4 4 4 4 4M6 19c4 0 4 4 8 4s4-4 8-4 4 4 4 4"
              stroke="#34d399"
              strokeWidth="2.6"
              fill="none"
              strokeLinecap="round"
            />
          </svg>
          <span>Riffle</span>
        </Link>
        <nav className="topbar__nav" aria-label="Main">
          <Link
            to={paths.topologies()}
            className="topbar__link"
            aria-current={route.name === "topologies" ? "page" : undefined}
          >
            Topologies
          </Link>
          <Link to={paths.topics()} className="topbar__link" aria-current={route.name === "topics" ? "page" : undefined}>
            Topics
          </Link>
          <Link to={paths.audit()} className="topbar__link" aria-current={route.name === "audit" ? "page" : undefined}>
            Audit
          </Link>
        </nav>
        <div className="topbar__user">
          {me.data && (
            <span className="topbar__username" data-testid="current-user">
              <span className="avatar" aria-hidden="true">
                {me.data.username.slice(0, 1).toUpperCase()}
              </span>
              {me.data.username}
            </span>
          )}
          <button type="button" className="button button--ghost" onClick={() => void logOut()} aria-label="Log out">
            <LogOutIcon size={15} />
            Log out
          </button>
        </div>
      </header>
      <div id="content" className="app__content">
        <RouteView route={route} />
      </div>
    </div>
  );
}

function RouteView({ route }: { route: Route }) {
  return (
    <Suspense
      fallback={
        <main className="page">
          <Spinner label="Loading" />
        </main>
      }
    >
      <Page route={route} />
    </Suspense>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case "topologies":
      return <TopologiesPage />;
    case "topology":
      return <TopologyPage key={route.id} id={route.id} />;
    case "deployment":
      return <DeploymentPage key={route.id} id={route.id} />;
    case "topics":
      return <TopicsPage />;
    case "audit":
      return <AuditPage />;
    case "not-found":
      return <NotFoundPage path={route.path} />;
  }
}

function titleFor(route: Route): string {
  switch (route.name) {
    case "topologies":
      return "Topologies";
    case "topology":
      return `Topology ${route.id}`;
    case "deployment":
      return `Deployment ${route.id}`;
    case "topics":
      return "Topics";
    case "audit":
      return "Audit log";
    case "not-found":
      return "Not found";
  }
}
