import { fetchOverview, fetchUsageForOverview } from "@/app/lib/api";
import type { Business, OverviewWeek } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";
import { formatDay } from "@/app/lib/time";

import { BarChart } from "./bar-chart";

const CHANNELS = ["whatsapp", "messenger", "walk_in"] as const;
const THIS_WEEK = "#0b7a5e";
const LAST_WEEK = "#9aa3b2";

/** This week against last week, and the model's tokens and cost per month (owners only). */
export async function OverviewNumbers({ business, locale }: { business: Business; locale: string }) {
  const [data, usage, t, tc] = await Promise.all([
    fetchOverview(business.id),
    fetchUsageForOverview(business.id),
    getT("overview"),
    getT("calendar"),
  ]);
  const number = new Intl.NumberFormat(locale);
  const { this_week: now, last_week: before } = data;
  const change = (a: number, b: number) => t("change", { delta: Math.abs(a - b), sign: a >= b ? "+" : "−" });
  const tiles: [string, string, number, number][] = [
    ["bookings", t("bookings"), now.bookings, before.bookings],
    ["cancellations", t("cancellations"), now.cancellations, before.cancellations],
    ["no-shows", t("noShows"), now.no_shows, before.no_shows],
    ["without-staff", t("withoutStaff"), now.conversations.without_staff, before.conversations.without_staff],
  ];
  const byChannel = (w: OverviewWeek) => CHANNELS.map((c) => w.by_channel[c] ?? 0);
  return (
    <section className="card" aria-labelledby="numbers-title" data-testid="overview-numbers">
      <div className="card-head">
        <h2 id="numbers-title">{t("title")}</h2>
        <span className="muted small">
          {formatDay(now.start, "long", locale)} · {t("vsLast")}
        </span>
      </div>
      <div className="tiles">
        {tiles.map(([key, label, a, b]) => (
          <div key={key} className="tile" data-testid={`tile-${key}`}>
            <span className="tile-label">{label}</span>
            <strong className="tile-value" data-testid="value">
              {number.format(a)}
            </strong>
            <span className="muted small">{change(a, b)}</span>
          </div>
        ))}
      </div>
      <p className="small muted" data-testid="conversations-line">
        {t("conversations")}: {number.format(now.conversations.total)} · {t("withoutStaff")}:{" "}
        {number.format(now.conversations.without_staff)}
      </p>
      <div className="charts">
        <figure>
          <figcaption>{t("byChannel")}</figcaption>
          <BarChart
            label={t("chartBookings")}
            labels={CHANNELS.map((c) => tc(`channel.${c}`))}
            series={[
              { label: t("thisWeek"), data: byChannel(now), color: THIS_WEEK },
              { label: t("lastWeek"), data: byChannel(before), color: LAST_WEEK },
            ]}
            locale={locale}
          />
          <table className="table small" data-testid="by-channel">
            <thead>
              <tr>
                <th scope="col">{t("byChannel")}</th>
                <th scope="col">{t("thisWeek")}</th>
                <th scope="col">{t("lastWeek")}</th>
              </tr>
            </thead>
            <tbody>
              {CHANNELS.map((c, i) => (
                <tr key={c} data-channel={c}>
                  <th scope="row">{tc(`channel.${c}`)}</th>
                  <td>{number.format(byChannel(now)[i] ?? 0)}</td>
                  <td>{number.format(byChannel(before)[i] ?? 0)}</td>
                </tr>
              ))}
              {(["bot", "staff"] as const).map((s) => (
                <tr key={s} data-source={s}>
                  <th scope="row">{t(s)}</th>
                  <td>{number.format(now.by_source[s])}</td>
                  <td>{number.format(before.by_source[s])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </figure>
        {usage ? (
          <figure>
            <figcaption>{t("tokens")}</figcaption>
            {usage.months.length ? (
              <>
                <BarChart
                  label={t("chartTokens")}
                  labels={usage.months.map((m) => m.month).reverse()}
                  series={[
                    {
                      label: t("tokensCol"),
                      data: usage.months.map((m) => m.total_tokens).reverse(),
                      color: THIS_WEEK,
                    },
                  ]}
                  locale={locale}
                />
                <table className="table small" data-testid="usage-months">
                  <thead>
                    <tr>
                      <th scope="col">{t("month")}</th>
                      <th scope="col">{t("tokensCol")}</th>
                      <th scope="col">{t("cost")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {usage.months.map((m) => (
                      <tr key={m.month}>
                        <th scope="row">{m.month}</th>
                        <td>{number.format(m.total_tokens)}</td>
                        <td>
                          {new Intl.NumberFormat(locale, {
                            style: "currency",
                            currency: "USD",
                            maximumFractionDigits: 4,
                          }).format(Number(m.estimated_cost_usd))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            ) : (
              <p className="muted small">{t("noUsage")}</p>
            )}
          </figure>
        ) : null}
      </div>
    </section>
  );
}
