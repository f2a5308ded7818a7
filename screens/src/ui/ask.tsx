// An action that needs a few words first (a refund's amount and reason, why a purchase order is
// rejected): the button opens the fields in place, on a tablet as on a desk, where a browser's
// prompt() would block the page and look like an error.
import { useState } from "preact/hooks";

export interface Field {
  name: string;
  label: string;
  initial?: string;
}

export function Ask(props: { action: string; fields: Field[]; onConfirm: (values: Record<string, string>) => void }) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  if (!open) {
    return (
      <button
        type="button"
        class="small"
        onClick={() => {
          setValues(Object.fromEntries(props.fields.map((f) => [f.name, f.initial ?? ""])));
          setOpen(true);
        }}
      >
        {props.action}
      </button>
    );
  }
  return (
    <form
      class="inline-form ask"
      aria-label={props.action}
      onSubmit={(e) => {
        e.preventDefault();
        setOpen(false);
        props.onConfirm(values);
      }}
    >
      {props.fields.map((f) => (
        <label key={f.name}>
          {f.label}{" "}
          <input name={f.name} value={values[f.name]} onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })} />
        </label>
      ))}
      <button type="submit" class="small primary">
        {props.action}
      </button>
      <button type="button" class="small" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
