import type { Conflict } from "@/app/lib/definitions";

/** "Price of Beard trim" / "Saturday hours" from a conflict's field path. */
function what(field: string): string {
  const [kind, name, attribute] = field.split(".");
  if (kind === "services") return `Price of ${name}${attribute === "price" ? "" : ` (${attribute})`}`;
  const days: Record<string, string> = {
    mon: "Monday",
    tue: "Tuesday",
    wed: "Wednesday",
    thu: "Thursday",
    fri: "Friday",
    sat: "Saturday",
    sun: "Sunday",
  };
  return `${(name && days[name]) || name} hours`;
}

/** Where the document contradicts the settings; the bot follows the settings. */
export function Conflicts({ conflicts }: { conflicts: Conflict[] }) {
  if (conflicts.length === 0) return null;
  return (
    <section className="card" aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">Conflicts with the settings</h2>
      <p className="notice warn">
        The document says otherwise than the settings here. The bot follows the settings: fix whichever is wrong.
      </p>
      <ul className="list" data-testid="conflicts">
        {conflicts.map((c) => (
          <li key={`${c.field}-${c.document}`}>
            <strong>{what(c.field)}</strong>: settings {c.configured}, document {c.document}
            <div className="muted small">“{c.text}”</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
