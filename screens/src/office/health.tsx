// The projections' health: what the server's readiness says of every read model (public, so
// anyone in the back office sees whether the figures are current), and, for the platform
// operator who gives the operator token, each projection's checkpoint, lag and parked events,
// with a retry of what is parked.
import { useEffect, useState } from "preact/hooks";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";

type Ready = components["schemas"]["Ready"];
type Projection = components["schemas"]["ProjectionState"];

export function Health(_: ScreenProps) {
  const [ready, setReady] = useState<Ready | null>(null);
  const [token, setToken] = useState(sessionStorage.getItem("brigade.operator") ?? "");
  const [projections, setProjections] = useState<Projection[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    // Readiness answers 503 with the same body when something is behind: both are shown.
    const answer = await api.GET("/health/ready").catch(() => null);
    const body = (answer?.data ?? answer?.error) as Ready | undefined;
    if (body && "checks" in body) setReady(body);
    if (token) {
      try {
        setProjections(
          await call(() => api.GET("/api/v1/admin/projections", { headers: { authorization: `Bearer ${token}` } })),
        );
        setError(null);
      } catch (e) {
        setProjections(null);
        setError(e);
      }
    }
  };
  useEffect(() => {
    void load();
    const again = setInterval(() => void load(), 5_000);
    return () => clearInterval(again);
  }, [token]);

  return (
    <section class="report" aria-label="Projections">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {ready && (
        <>
          <h2>
            Server: <span class={ready.status === "ready" ? "ok" : "bad"}>{ready.status}</span>
          </h2>
          <table class="figures">
            <tbody>
              <tr>
                <th scope="row">Database</th>
                <td class={ready.checks.database.ok ? "ok" : "bad"}>{ready.checks.database.detail}</td>
              </tr>
              <tr>
                <th scope="row">NATS</th>
                <td class={ready.checks.nats.ok ? "ok" : "bad"}>{ready.checks.nats.detail}</td>
              </tr>
              {ready.checks.projections.map((p) => (
                <tr key={p.name} data-projection={p.name}>
                  <th scope="row">{p.name}</th>
                  <td class={p.ok ? "ok" : "bad"}>
                    {p.state}, {p.lag_events} behind
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const value = (e.currentTarget.elements.namedItem("operator") as HTMLInputElement).value.trim();
          sessionStorage.setItem("brigade.operator", value);
          setToken(value);
        }}
      >
        <label>
          Operator token <input name="operator" type="password" defaultValue={token} autoComplete="off" />
        </label>
        <button type="submit">Show details</button>
      </form>
      {projections && (
        <table class="figures" aria-label="Projection details">
          <thead>
            <tr>
              <th scope="col">Projection</th>
              <th scope="col">Partition</th>
              <th scope="col">Worker</th>
              <th scope="col">State</th>
              <th scope="col">Checkpoint</th>
              <th scope="col">Head</th>
              <th scope="col">Lag</th>
              <th scope="col">Parked</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {projections.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.projection}</th>
                <td>{p.partitions === 1 ? "all" : `${p.partition + 1} of ${p.partitions}`}</td>
                <td>{p.owner ?? "none running"}</td>
                <td>{p.state}</td>
                <td class="num">{p.checkpoint}</td>
                <td class="num">{p.head}</td>
                <td class="num">
                  {p.lag_events} ({p.lag_seconds.toFixed(1)} s)
                </td>
                <td class="num">{p.parked_events}</td>
                <td>{p.last_error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
