// Where the screen is: the path (`/kitchen/grill`, `/floor`, `/office/pnl`), moved with the
// History API so every screen has an address a device can be left on.
import { useEffect, useState } from "preact/hooks";

export function go(path: string) {
  if (location.pathname + location.search === path) return;
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The current path's segments, re-rendering when it changes. */
export function usePath(): string[] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const moved = () => setPath(location.pathname);
    addEventListener("popstate", moved);
    return () => removeEventListener("popstate", moved);
  }, []);
  return path.split("/").filter(Boolean).map(decodeURIComponent);
}
