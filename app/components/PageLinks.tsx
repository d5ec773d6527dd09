import { Link } from "@remix-run/react";
import { linkClass } from "./styles.js";

/**
 * Keyset paging of a newest-first list: back to the newest page once paged, on to older ones
 * while there are more ("Newest entries" / "Older entries" for noun "entries").
 */
export function PageLinks({ noun, newest, older }: { noun: string; newest: string | null; older: string | null }) {
  return (
    <nav aria-label="Pages" className="flex items-center gap-4 text-sm">
      {newest !== null ? (
        <Link to={newest} className={linkClass}>
          {`Newest ${noun}`}
        </Link>
      ) : null}
      {older !== null ? (
        <Link to={older} className={linkClass} rel="next">
          {`Older ${noun}`}
        </Link>
      ) : null}
    </nav>
  );
}
