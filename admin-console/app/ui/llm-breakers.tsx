import { fetchLlmBreakers } from "@/app/lib/api";
import type { LlmBreaker } from "@/app/lib/definitions";
import { getLang, getT } from "@/app/lib/i18n";

const BADGE: Record<LlmBreaker["state"], string> = { closed: "green", half_open: "yellow", open: "red" };

function since(iso: string | null, locale: string): string {
  return iso ? new Date(iso).toLocaleString(locale, { timeZone: "UTC", timeZoneName: "short" }) : "—";
}

/** The model providers' circuit breakers, for superadmins. */
export async function LlmBreakers() {
  const [breakers, t, lang] = await Promise.all([fetchLlmBreakers(), getT("breakers"), getLang()]);
  // Not one business's: the reader's language with its default region, in UTC.
  const locale = lang === "es" ? "es-ES" : "en-GB";
  return (
    <section className="card" aria-labelledby="breakers-title">
      <div className="card-head">
        <h2 id="breakers-title">{t("title")}</h2>
      </div>
      {breakers === null ? (
        <p className="muted">{t("unreadable")}</p>
      ) : breakers.length === 0 ? (
        <p className="muted">{t("none")}</p>
      ) : (
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">{t("provider")}</th>
              <th scope="col">{t("breaker")}</th>
              <th scope="col">{t("failures")}</th>
              <th scope="col">{t("since")}</th>
            </tr>
          </thead>
          <tbody>
            {breakers.map((b) => (
              <tr key={b.provider}>
                <td>
                  <code style={{ overflowWrap: "anywhere" }}>{b.provider}</code>
                </td>
                <td>
                  <span className={`badge ${BADGE[b.state]}`} data-testid="breaker-state">
                    {t(`states.${b.state}`)}
                  </span>
                </td>
                <td>{b.failures}</td>
                <td>{since(b.opened_at, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small">{t("note")}</p>
    </section>
  );
}
