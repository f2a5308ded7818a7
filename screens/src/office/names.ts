// Names for the ids a document holds (suppliers, inventory items), read once per tab from the
// lists the user may read; an id with no name readable stays a short id.
import { useEffect, useState } from "preact/hooks";
import type { Permissions } from "../api/permissions";
import { api, call } from "../api/client";

export function useNames(can: Permissions): (id: string | null | undefined) => string {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    const found: Record<string, string> = {};
    const reads: Promise<void>[] = [];
    if (can.can("GET", "/api/v1/stock/inventory")) {
      reads.push(
        call(() => api.GET("/api/v1/stock/inventory", { params: { query: { limit: 500 } } })).then((p) => {
          for (const i of p.items) found[i.id] = i.name;
        }),
      );
    }
    if (can.can("GET", "/api/v1/procurement/suppliers")) {
      reads.push(
        call(() => api.GET("/api/v1/procurement/suppliers", { params: { query: { limit: 500 } } })).then((p) => {
          for (const s of p.items) if (s.profile) found[s.id] = s.profile.name;
        }),
      );
    }
    void Promise.allSettled(reads).then(() => setNames(found));
  }, []);
  return (id) => (id ? (names[id] ?? id.slice(0, 8)) : "—");
}
