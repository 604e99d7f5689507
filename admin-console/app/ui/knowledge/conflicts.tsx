import type { Conflict } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";

type T = Awaited<ReturnType<typeof getT<"knowledge">>>;
type DayT = Awaited<ReturnType<typeof getT<"settings">>>;

/** "Price of Beard trim" / "Saturday hours" from a conflict's field path. */
function what(field: string, t: T, days: DayT): string {
  const [kind, name = "", attribute] = field.split(".");
  if (kind === "services") {
    return attribute && attribute !== "price"
      ? t("attributeOf", { service: name, attribute })
      : t("priceOf", { service: name });
  }
  const known = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
  const day = known.find((d) => d === name);
  return t("hoursOf", { day: day ? days(`hours.days.${day}`) : name });
}

/** Where the document contradicts the settings; the bot follows the settings. */
export async function Conflicts({ conflicts }: { conflicts: Conflict[] }) {
  if (conflicts.length === 0) return null;
  const [t, days] = await Promise.all([getT("knowledge"), getT("settings")]);
  return (
    <section className="card" aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">{t("conflicts")}</h2>
      <p className="notice warn">{t("conflictsNote")}</p>
      <ul className="list" data-testid="conflicts">
        {conflicts.map((c) => (
          <li key={`${c.field}-${c.document}`}>
            <strong>{what(c.field, t, days)}</strong>:{" "}
            {t("conflict", { configured: c.configured, document: c.document })}
            <div className="muted small">“{c.text}”</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
