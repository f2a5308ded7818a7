// The kitchen screen's tickets between reads. Each change of the live feed carries the whole
// ticket after it, so the screen applies it at once (a new ticket appears the moment its
// message arrives, with no read in between); reads of the queue, at most one every two seconds
// after changes and one after a reconnection, bring the rest (prep times, the bumped list) and
// reconcile. A read is asked `after=` the last change applied, and the changes that arrive while
// it is in flight are applied again on top of it, so a read can never take the screen back in
// time. Applying a change twice changes nothing (it replaces the ticket by order id): a feed
// resumed after a network loss can neither lose a ticket nor show one twice.
//
// Which tickets a station shows, and in what order, follows the server's queue (reports/kitchen.rs
// in the projections crate); a read corrects any difference within seconds.
import type { components } from "../api/schema";

export type Screen = components["schemas"]["KitchenScreen"];
export type Ticket = components["schemas"]["TicketView"];
export type Change = components["schemas"]["KitchenChange"];
type Doc = components["schemas"]["KitchenTicket"];

const OPEN = new Set(["queued", "cooking", "recalled"]);

/** Whether a station's screen (or the expo, `station` undefined) shows the ticket. */
function shown(t: Doc, station?: string): boolean {
  if (!OPEN.has(t.status)) return false;
  if (!station) return true;
  const mine = t.lines.filter((l) => l.station === station);
  return mine.length > 0 && (t.status === "recalled" || mine.some((l) => !l.ready));
}

/** The ticket as the screen draws it (its clock and colour are drawn from `sent_at`). */
function view(change: Change, station?: string): Ticket {
  const t = change.ticket;
  const stations = [...new Set(t.lines.map((l) => l.station))];
  return {
    order_id: change.order_id,
    number: t.number,
    table: t.table,
    order_type: t.order_type,
    rush: t.rush,
    status: t.status,
    sent_at: t.sent_at,
    elapsed_seconds: 0,
    urgency: "green",
    lines: t.lines.filter((l) => !station || l.station === station),
    stations,
    stations_done: stations.filter((s) => t.lines.filter((l) => l.station === s).every((l) => l.ready)),
  };
}

function order(a: Ticket, b: Ticket): number {
  return Number(b.rush) - Number(a.rush) || (a.sent_at ?? "").localeCompare(b.sent_at ?? "") || a.number - b.number;
}

/** The screen after one change of the feed. */
export function apply(screen: Screen, change: Change, station?: string): Screen {
  const others = screen.tickets.filter((t) => t.order_id !== change.order_id);
  const tickets = shown(change.ticket, station) ? [...others, view(change, station)].sort(order) : others;
  let recent = screen.recently_completed.filter((t) => t.order_id !== change.order_id);
  const onStation = !station || change.ticket.lines.some((l) => l.station === station);
  if (change.ticket.status === "ready" && onStation) recent = [view(change, station), ...recent];
  return { ...screen, tickets, recently_completed: recent, all_day: allDay(tickets) };
}

/** What is still to cook, per dish, on the tickets shown. */
function allDay(tickets: Ticket[]): Screen["all_day"] {
  const counts = new Map<string, number>();
  for (const t of tickets) for (const l of t.lines) if (!l.ready) counts.set(l.name, (counts.get(l.name) ?? 0) + l.quantity);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, portions]) => ({ name, portions }));
}

/** Seconds since the ticket was sent, by the server's clock (`skew` = server minus this device). */
export function elapsed(t: Ticket, now: number, skew: number): number {
  return t.sent_at ? Math.max(0, (now + skew - Date.parse(t.sent_at)) / 1000) : 0;
}

export function urgency(seconds: number, screen: Screen): Ticket["urgency"] {
  if (seconds >= screen.red_after_seconds) return "red";
  if (seconds >= screen.amber_after_seconds) return "amber";
  return "green";
}
