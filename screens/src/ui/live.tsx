// The feed's state, said plainly: a kitchen that is not live must know it, and must know when it
// is again ("Live again" for a few seconds after a reconnection).
import { useEffect, useRef, useState } from "preact/hooks";
import type { FeedState } from "../api/feed";

export function LiveBadge({ state }: { state: FeedState }) {
  const lost = useRef(false);
  const [again, setAgain] = useState(false);
  useEffect(() => {
    if (state === "offline") lost.current = true;
    if (state !== "live" || !lost.current) return;
    lost.current = false;
    setAgain(true);
    const done = setTimeout(() => setAgain(false), 5_000);
    return () => clearTimeout(done);
  }, [state]);
  const words = { live: again ? "Live again" : "Live", connecting: "Connecting…", offline: "Offline — reconnecting" }[state];
  return (
    <span class={`live live-${state}`} role="status" aria-live="polite" data-feed={state}>
      {words}
    </span>
  );
}
