import Link from "next/link";

import { planDay, visibleRange, type DayPlan, type Placed } from "@/app/lib/calendar";
import { customerLabel } from "@/app/lib/customers";
import type { Appointment, BlockedTime, Business } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";
import { byInstant, formatDateTime, formatDay, formatMinutes, formatTime, localParts } from "@/app/lib/time";

import { UnblockButton } from "./unblock-button";

const PX_PER_MINUTE = 1.1;

type Props = {
  business: Business;
  dates: string[];
  appointments: Appointment[];
  blocked: BlockedTime[];
  now: number;
  locale: string;
  /** The link that opens an appointment (keeps the view and date). */
  openHref: (id: number) => string;
  dayHref: (date: string) => string;
};

/**
 * Day or week calendar: appointment blocks placed by time, overlapping ones side by side up to the
 * capacity, closed time, breaks and blocked time shaded, "now" marked. On a phone the same data
 * is a list per day (CSS picks one).
 */
export async function CalendarView(props: Props) {
  const { business, dates, appointments, blocked } = props;
  const plans = dates.map((d) => planDay(business, d, appointments, blocked));
  return (
    <>
      <CalendarGrid {...props} plans={plans} />
      <DayList {...props} plans={plans} />
    </>
  );
}

async function CalendarGrid({ business, plans, now, locale, openHref, dayHref }: Props & { plans: DayPlan[] }) {
  const t = await getT("calendar");
  const [from, to] = visibleRange(plans);
  const height = (to - from) * PX_PER_MINUTE;
  const y = (minutes: number) => (Math.min(Math.max(minutes, from), to) - from) * PX_PER_MINUTE;
  const hours = Array.from({ length: (to - from) / 60 + 1 }, (_, i) => from + i * 60);
  const nowParts = localParts(new Date(now).toISOString(), business.timezone);
  return (
    <div className="cal" data-testid="calendar-grid" style={{ ["--days" as string]: plans.length }}>
      <div className="cal-head" aria-hidden="true">
        <span />
        {plans.map((p) => (
          <span key={p.date} className={p.date === nowParts.date ? "today" : undefined}>
            {formatDay(p.date, "short", locale)}
          </span>
        ))}
      </div>
      <div className="cal-body" style={{ height }}>
        <div className="cal-times" aria-hidden="true">
          {hours.map((h) => (
            <span key={h} style={{ top: y(h) }}>
              {formatMinutes(h, locale)}
            </span>
          ))}
        </div>
        {plans.map((plan) => (
          <section
            key={plan.date}
            className="cal-day"
            aria-label={formatDay(plan.date, "long", locale)}
            data-date={plan.date}
          >
            <h3 className="visually-hidden">
              <Link href={dayHref(plan.date)}>{formatDay(plan.date, "long", locale)}</Link>
            </h3>
            {hours.map((h) => (
              <span key={h} className="cal-line" style={{ top: y(h) }} aria-hidden="true" />
            ))}
            {plan.shades
              .filter((s) => s.end > from && s.start < to)
              .map((s, i) => (
                <div
                  key={i}
                  className={`cal-shade ${s.kind}`}
                  style={{ top: y(s.start), height: y(s.end) - y(s.start) }}
                  data-testid={`shade-${s.kind}`}
                >
                  {s.kind === "blocked" ? (
                    <>
                      <span className="small">
                        {t("blocked")}
                        {s.reason ? `: ${s.reason}` : ""}
                      </span>{" "}
                      {s.block ? <Unblock business={business} block={s.block} locale={locale} /> : null}
                    </>
                  ) : s.kind === "break" ? (
                    <span className="small">{t("break")}</span>
                  ) : null}
                </div>
              ))}
            {plan.closed ? (
              <p className="cal-closed small">{t(plan.closed === "date" ? "closedDate" : "closed")}</p>
            ) : null}
            {plan.date === nowParts.date && nowParts.minutes >= from && nowParts.minutes <= to ? (
              <div className="cal-now" style={{ top: y(nowParts.minutes) }} data-testid="now">
                <span className="visually-hidden">{t("now")}</span>
              </div>
            ) : null}
            {plan.blocks.map((b) => (
              <Block
                key={b.appt.id}
                placed={b}
                top={y(b.start)}
                height={y(b.end) - y(b.start)}
                href={openHref(b.appt.id)}
                {...{ business, locale, t }}
              />
            ))}
          </section>
        ))}
      </div>
    </div>
  );
}

/** The Unblock button of a blocked time, in the grid and in the phone list. */
function Unblock({ business, block, locale }: { business: Props["business"]; block: BlockedTime; locale: string }) {
  return (
    <UnblockButton
      businessId={business.id}
      blockId={block.id}
      summary={blockSummary(block, business.timezone, locale)}
    />
  );
}

/** When a blocked time is and why: "Tue 22 Dec, 11:00–12:00 (Training)", both dates when it
 * spans days. */
function blockSummary(block: BlockedTime, timeZone: string, locale: string): string {
  const sameDay = localParts(block.starts_at, timeZone).date === localParts(block.ends_at, timeZone).date;
  const from = formatDateTime(block.starts_at, timeZone, locale);
  const when = sameDay
    ? `${from}–${formatTime(block.ends_at, timeZone, locale)}`
    : `${from} – ${formatDateTime(block.ends_at, timeZone, locale)}`;
  return block.reason ? `${when} (${block.reason})` : when;
}

function Block({
  placed,
  top,
  height,
  href,
  business,
  locale,
  t,
}: {
  placed: Placed;
  top: number;
  height: number;
  href: string;
  business: Business;
  locale: string;
  t: Awaited<ReturnType<typeof getT<"calendar">>>;
}) {
  const a = placed.appt;
  const who = customerLabel(a.customer_name, a.customer_channel, a.customer_address);
  const when = `${formatTime(a.starts_at, business.timezone, locale)}–${formatTime(a.ends_at, business.timezone, locale)}`;
  const status = t(`status.${a.status}`);
  const channel = t(`channel.${a.customer_channel}`);
  const width = 100 / placed.lanes;
  return (
    <Link
      href={href}
      scroll={false}
      className={`cal-appt ${a.status}`}
      style={{ top, height: Math.max(height - 2, 18), left: `${placed.lane * width}%`, width: `calc(${width}% - 3px)` }}
      data-testid="cal-appointment"
      data-id={a.id}
    >
      <strong>{when}</strong> <span>{who}</span>
      <span className="cal-appt-meta">
        {a.service_name} · {channel} · {status}
      </span>
    </Link>
  );
}

async function DayList({ business, plans, appointments, locale, openHref }: Props & { plans: DayPlan[] }) {
  const t = await getT("calendar");
  return (
    <div className="cal-list" data-testid="calendar-list">
      <h3 className="visually-hidden">{t("dayList")}</h3>
      {plans.map((plan) => {
        const day = appointments
          .filter((a) => localParts(a.starts_at, business.timezone).date === plan.date)
          .sort((a, b) => byInstant(a.starts_at, b.starts_at));
        const blocks = plan.shades.filter((s) => s.kind === "blocked");
        return (
          <section key={plan.date} className="cal-list-day" aria-label={formatDay(plan.date, "long", locale)}>
            <h4>{formatDay(plan.date, "long", locale)}</h4>
            {plan.closed ? <p className="muted small">{t(plan.closed === "date" ? "closedDate" : "closed")}</p> : null}
            {blocks.map((s, i) => (
              <div key={i} className="cal-list-blocked small">
                {t("blocked")} {formatMinutes(s.start, locale)}–{formatMinutes(Math.min(s.end, 1439), locale)}
                {s.reason ? `: ${s.reason}` : ""}{" "}
                {s.block ? <Unblock business={business} block={s.block} locale={locale} /> : null}
              </div>
            ))}
            {day.length === 0 && !plan.closed ? <p className="muted small">{t("noAppointments")}</p> : null}
            <ul className="list">
              {day.map((a) => (
                <li key={a.id}>
                  <Link
                    href={openHref(a.id)}
                    scroll={false}
                    className={`cal-list-appt ${a.status}`}
                    data-testid="list-appointment"
                  >
                    <strong>
                      {formatTime(a.starts_at, business.timezone, locale)}–
                      {formatTime(a.ends_at, business.timezone, locale)}
                    </strong>{" "}
                    {customerLabel(a.customer_name, a.customer_channel, a.customer_address)} · {a.service_name} ·{" "}
                    {t(`channel.${a.customer_channel}`)}
                    {a.status !== "booked" ? <span className="badge">{t(`status.${a.status}`)}</span> : null}
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
