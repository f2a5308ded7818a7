// The screens' one way to the API: a client typed by the server's own OpenAPI document
// (`npm run contract` generates schema.ts from it at every build, so a screen that no longer
// matches the contract fails to compile). Every call carries a fresh access token, is retried
// once after renewing it on a 401, and turns any refusal into an ApiProblem with the server's
// words. Commands carry an Idempotency-Key, so a retried tap never acts twice.
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiProblem } from "./problem";
import * as session from "./session";

export const api = createClient<paths>({ baseUrl: "" });

api.use({
  async onRequest({ request }) {
    const token = await session.freshToken();
    if (token && !request.headers.has("authorization")) request.headers.set("authorization", `Bearer ${token}`);
    if (request.method !== "GET" && !request.headers.has("idempotency-key")) {
      request.headers.set("idempotency-key", newKey());
    }
    return request;
  },
});

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs an API call: its data, or an ApiProblem. `run` is called again (a new request, same
 * idempotency key) when the token had to be renewed first.
 */
export async function call<T>(run: (key: string) => Promise<Answer<T>>): Promise<T> {
  const key = newKey();
  let answer: Answer<T>;
  try {
    answer = await run(key);
    if (answer.response.status === 401 && (await session.renew())) answer = await run(key);
  } catch (error) {
    throw error instanceof ApiProblem ? error : ApiProblem.of(undefined, undefined);
  }
  if (answer.response.status === 401) {
    session.end("Your session has ended: please sign in again.");
  }
  if (!answer.response.ok) throw ApiProblem.of(answer.error, answer.response);
  return answer.data as T;
}

/** A random UUID (v4). `crypto.randomUUID` exists only on https and localhost; a till on the
 * restaurant's network may be neither, and getRandomValues works everywhere. */
export function newKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
