// The period a report covers: from a first day to the day after the last (the API's own
// convention), a month back from today by default.
import { useState } from "preact/hooks";

export interface Period {
  from: string;
  to: string;
}

function day(offset: number): string {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function usePeriod(): [Period, (p: Period) => void] {
  return useState<Period>({ from: day(-30), to: day(1) });
}

export function PeriodPicker({ period, onChange }: { period: Period; onChange: (p: Period) => void }) {
  return (
    <>
      <label>
        From <input type="date" name="from" value={period.from} onChange={(e) => onChange({ ...period, from: e.currentTarget.value })} />
      </label>
      <label>
        Until (exclusive) <input type="date" name="to" value={period.to} onChange={(e) => onChange({ ...period, to: e.currentTarget.value })} />
      </label>
    </>
  );
}
