// The shell: sign-in, then the screens the user's roles open (read from the API's access table),
// each at its own address. A person lands on their own screen: the kitchen for cooks, the floor
// for the till, the back office for the others.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/client";
import { Permissions, loadPermissions } from "./api/permissions";
import { describe } from "./api/problem";
import * as session from "./api/session";
import { Floor } from "./floor/floor";
import { Kitchen } from "./kitchen/kitchen";
import { SignIn } from "./signin";
import { go, usePath } from "./ui/route";

export interface ScreenProps {
  can: Permissions;
  path: string[];
}

/** The screens, in landing order for a person who may open several. */
const SCREENS = [
  { key: "office", title: "Back office", opens: (p: Permissions) => officeOpen(p) },
  { key: "floor", title: "Floor & till", opens: (p: Permissions) => p.can("POST", "/api/v1/pos/orders") },
  { key: "kitchen", title: "Kitchen", opens: (p: Permissions) => p.can("GET", "/api/v1/kitchen/orders") },
] as const;

function officeOpen(p: Permissions): boolean {
  return (
    p.can("GET", "/api/v1/accounting/reports/pl-statement") ||
    p.can("GET", "/api/v1/stock/levels") ||
    p.can("GET", "/api/v1/procurement/purchase-orders") ||
    p.can("GET", "/api/v1/stock/transfers")
  );
}

/** Where a person lands: a manager runs the house from the back office, a cashier the floor. */
function landing(p: Permissions): string {
  if (p.can("GET", "/api/v1/accounting/reports/pl-statement")) return "/office";
  if (p.can("POST", "/api/v1/pos/orders")) return "/floor";
  if (p.can("GET", "/api/v1/kitchen/orders")) return "/kitchen";
  return "/office";
}

export function App() {
  const path = usePath();
  const [user, setUser] = useState(session.user());
  const [can, setCan] = useState<Permissions | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(
    () =>
      session.onChange((reason) => {
        setUser(session.user());
        setCan(null);
        if (reason) {
          setNotice(reason);
          go("/signin");
        }
      }),
    [],
  );

  useEffect(() => {
    if (!user) return;
    loadPermissions()
      .then((p) => {
        setCan(p);
        setFailure(null);
      })
      .catch((e) => setFailure(describe(e)));
  }, [user]);

  if (!user) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(null);
          if (path[0] === "signin" || path.length === 0) go("/");
        }}
      />
    );
  }
  if (!can) {
    return <main class="center">{failure ? <p role="alert">{failure}</p> : <p>Loading your screens…</p>}</main>;
  }
  const open = SCREENS.filter((s) => s.opens(can));
  const here = path[0];
  if (!here || here === "signin") {
    go(landing(can));
    return null;
  }
  const screen = SCREENS.find((s) => s.key === here);
  const allowed = screen && screen.opens(can);
  return (
    <div class={`shell screen-${here}`}>
      <header class="topbar">
        <strong class="brand">Brigade</strong>
        <nav aria-label="Screens">
          {open.map((s) => (
            <a
              key={s.key}
              href={`/${s.key}`}
              class={s.key === here ? "active" : ""}
              onClick={(e) => {
                e.preventDefault();
                go(`/${s.key}`);
              }}
            >
              {s.title}
            </a>
          ))}
        </nav>
        <span class="who">{user.display_name}</span>
        <button type="button" class="ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {allowed ? (
        <Screen name={here} can={can} path={path} />
      ) : (
        <main class="center">
          <p role="alert">{screen ? `Your roles do not open the ${screen.title.toLowerCase()}.` : "There is no such screen."}</p>
        </main>
      )}
    </div>
  );
}

function Screen({ name, can, path }: { name: string } & ScreenProps) {
  if (name === "kitchen") return <Kitchen can={can} path={path} />;
  if (name === "floor") return <Floor can={can} path={path} />;
  return <Lazy load={() => import("./office/office").then((m) => m.Office)} can={can} path={path} />;
}

/** A screen fetched on first use (the back office and its charts stay out of the kitchen's load). */
function Lazy({ load, ...props }: { load: () => Promise<ComponentType<ScreenProps>> } & ScreenProps) {
  const [Component, setComponent] = useState<ComponentType<ScreenProps> | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    load()
      .then((c) => setComponent(() => c))
      .catch((e) => setFailure(describe(e)));
  }, []);
  if (failure) return <main class="center" role="alert">{failure}</main>;
  return Component ? <Component {...props} /> : <main class="center">Loading…</main>;
}

async function signOut() {
  const refresh_token = session.refreshToken();
  if (refresh_token) await api.POST("/api/v1/auth/logout", { body: { refresh_token } }).catch(() => undefined);
  session.end("You have signed out.");
}
