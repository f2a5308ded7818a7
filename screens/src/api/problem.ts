// What the API refused, in words. Every error answer of the API is RFC 9457 problem+json; the
// screens show its `detail` and each named field's messages, never a bare status code.
import type { components } from "./schema";

export type ProblemBody = components["schemas"]["Problem"];

export class ApiProblem extends Error {
  readonly status: number;
  readonly fields: Record<string, string[]>;

  constructor(status: number, message: string, fields: Record<string, string[]> = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }

  /** The problem an answer carries, or a sentence about the answer when it carries none. */
  static of(body: unknown, response: Response | undefined): ApiProblem {
    const problem = body as Partial<ProblemBody> | undefined;
    if (problem && typeof problem.detail === "string") {
      return new ApiProblem(problem.status ?? response?.status ?? 0, problem.detail, problem.errors ?? {});
    }
    if (!response) return new ApiProblem(0, "The server cannot be reached: check the network.");
    return new ApiProblem(response.status, `The server answered ${response.status} ${response.statusText}.`);
  }

  /** The whole message: the detail, then each field's complaint the detail does not already say. */
  get words(): string {
    const fields = Object.entries(this.fields)
      .map(([field, messages]) => `${field}: ${messages.join("; ")}`)
      .filter((complaint) => !this.message.includes(complaint));
    return [this.message, ...fields].join(" — ");
  }
}

/** Any error, in words for a person. */
export function describe(error: unknown): string {
  if (error instanceof ApiProblem) return error.words;
  if (error instanceof TypeError) return "The server cannot be reached: check the network.";
  if (error instanceof Error) return error.message;
  return String(error);
}
