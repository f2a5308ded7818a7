// The feed's state, said plainly: a kitchen that is not live must know it.
import type { FeedState } from "../api/feed";

export function LiveBadge({ state }: { state: FeedState }) {
  const words = { live: "Live", connecting: "Connecting…", offline: "Offline — reconnecting" }[state];
  return (
    <span class={`live live-${state}`} role="status" aria-live="polite" data-feed={state}>
      {words}
    </span>
  );
}
