import { Link } from "../components/link";
import { paths } from "../lib/routes";

export function NotFoundPage({ path }: { path: string }) {
  return (
    <main className="page page--narrow">
      <div className="empty empty--page">
        <p className="empty__title">Nothing at {path}</p>
        <p className="empty__body">
          <Link to={paths.topologies()}>Back to the topologies</Link>
        </p>
      </div>
    </main>
  );
}
