// What the signed-in user may do: the routes the API's own access table opens to their roles
// (GET /api/v1/auth/permissions). A screen or a button is drawn only when its route is listed:
// the screens hold no rule of their own.
import { call, api } from "./client";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export class Permissions {
  private readonly open: Set<string>;

  constructor(routes: { method: string; path: string }[]) {
    this.open = new Set(routes.map((r) => `${r.method} ${r.path}`));
  }

  /** Whether the user may call `method path` (the path as the OpenAPI document writes it). */
  can(method: Method, path: string): boolean {
    return this.open.has(`${method} ${path}`);
  }
}

export async function loadPermissions(): Promise<Permissions> {
  const body = await call(() => api.GET("/api/v1/auth/permissions"));
  return new Permissions(body.routes);
}
