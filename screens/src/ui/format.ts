// Figures as people read them. The API's money is a decimal string ("12.50"): shown as it is,
// never through a float, so what the till shows is what the books hold.

export function money(amount: string | null | undefined): string {
  return amount == null ? "—" : amount;
}

/** `mm:ss`, or `h:mm:ss` past the hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function label(value: string): string {
  const words = value.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Cents from a decimal string, for sums and splits done on the till (exact, integer). */
export function cents(amount: string): number {
  const [whole, fraction = ""] = amount.split(".");
  return Number(whole) * 100 + Number((fraction + "00").slice(0, 2));
}

export function fromCents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}

/** Splits `total` cents into `parts` shares that add up to it exactly (the first ones carry the odd cents). */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const odd = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < odd ? 1 : 0));
}
