// An error, in the server's words, where the person is looking (and announced to screen
// readers). Nothing the API refuses is swallowed: each screen keeps its last error here until
// the person dismisses it or the next action succeeds.
import { describe } from "../api/problem";

export function ErrorBanner({ error, onClose }: { error: unknown; onClose: () => void }) {
  if (error == null) return null;
  return (
    <div class="banner error" role="alert">
      <span>{describe(error)}</span>
      <button type="button" class="ghost" onClick={onClose} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
