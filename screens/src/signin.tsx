// Sign-in: username and password, the server's refusal shown in its words.
import { useState } from "preact/hooks";
import { api } from "./api/client";
import { ApiProblem, describe } from "./api/problem";
import * as session from "./api/session";

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data, error: refused, response } = await api.POST("/api/v1/auth/login", {
        body: { username: username.trim(), password },
      });
      if (!data) throw ApiProblem.of(refused, response);
      session.start(data);
      onSignedIn();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Brigade</h1>
        {notice && <p class="banner info">{notice}</p>}
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <p class="banner error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
