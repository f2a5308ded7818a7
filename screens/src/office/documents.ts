// A back-office list of documents (purchase orders, transfers) and the commands on them: the
// list read at first, then again after each command, `after=` what the command wrote, so the
// person sees their own change; any refusal kept to be shown.
import { useEffect, useState } from "preact/hooks";

export function useDocuments<T>(read: (after?: number) => Promise<{ items: T[] }>) {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = (after?: number) =>
    read(after)
      .then((page) => setItems(page.items))
      .catch(setError);
  useEffect(() => void load(), []);
  /** Runs a command, then reads the list as of what it wrote. */
  const act = async (run: () => Promise<{ position: number }>) => {
    try {
      const written = await run();
      setError(null);
      await load(written.position);
    } catch (e) {
      setError(e);
    }
  };
  return { items, error, setError, act };
}
