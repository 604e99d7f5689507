import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { fetchRole, fetchUsage } from "@/app/lib/api";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import type { UsageMonth } from "@/app/lib/definitions";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { NotAllowed } from "@/app/ui/not-allowed";
import { BudgetForm } from "@/app/ui/usage/budget-form";
import { dollars, monthName, percent, tokens } from "@/app/ui/usage/format";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("usage"))("title") };
}

export default async function UsagePage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  const t = await getT("usage");
  if (role === "staff") return <NotAllowed role={role} what={t("notAllowed")} back={`/businesses/${id}`} />;
  const usage = await fetchUsage(id);
  const locale = businessLocale(await getLang(), usage.timezone);
  const current = usage.current_month;
  const budget = usage.monthly_token_budget;
  return (
    <div className="grid-main-side">
      <div>
        <section className="card" aria-labelledby="month-title">
          <h2 id="month-title">{monthName(current.month, locale)}</h2>
          <dl className="stats">
            <div>
              <dt>{t("tokens")}</dt>
              <dd data-testid="tokens-this-month">{tokens(current.total_tokens, locale)}</dd>
            </div>
            <div>
              <dt>{t("cost")}</dt>
              <dd>{dollars(current.estimated_cost_usd, locale) ?? t("noPrice")}</dd>
            </div>
            <div>
              <dt>{t("budget")}</dt>
              <dd>
                {budget === null
                  ? t("unlimited")
                  : t("used", {
                      tokens: tokens(budget, locale),
                      percent: percent(current.budget_used ?? 0, locale),
                    })}
              </dd>
            </div>
          </dl>
          {budget !== null ? (
            <meter
              className="budget-meter"
              min={0}
              max={1}
              low={0.8}
              high={0.99}
              optimum={0}
              value={Math.min(current.budget_used ?? 0, 1)}
              aria-label={t("meter")}
            />
          ) : null}
          <p className="muted small">{t("explain", { timeZone: usage.timezone })}</p>
        </section>
        <section className="card" aria-labelledby="months-title">
          <h2 id="months-title">{t("byMonth")}</h2>
          {usage.months.length === 0 ? (
            <p className="muted">{t("none")}</p>
          ) : (
            <Months months={usage.months} locale={locale} t={t} />
          )}
        </section>
      </div>
      {role === "superadmin" ? (
        <BudgetForm businessId={id} budget={budget} />
      ) : (
        <section className="card" aria-labelledby="budget-title">
          <h2 id="budget-title">{t("budgetTitle")}</h2>
          <p>{budget === null ? t("unlimitedBudget") : t("perMonth", { tokens: tokens(budget, locale) })}</p>
          <p className="muted small">{t("setBy")}</p>
        </section>
      )}
    </div>
  );
}

function Months({
  months,
  locale,
  t,
}: {
  months: UsageMonth[];
  locale: string;
  t: Awaited<ReturnType<typeof getT<"usage">>>;
}) {
  return (
    <table className="table stack-phone">
      <thead>
        <tr>
          <th scope="col">{t("month")}</th>
          <th scope="col">{t("model")}</th>
          <th scope="col">{t("prompt")}</th>
          <th scope="col">{t("completion")}</th>
          <th scope="col">{t("cost")}</th>
        </tr>
      </thead>
      <tbody>
        {months.flatMap((month) =>
          month.models.map((m, i) => (
            <tr key={`${month.month}-${m.model}`}>
              <td>{i === 0 ? <strong>{monthName(month.month, locale)}</strong> : null}</td>
              <td>{m.model}</td>
              <td>{tokens(m.prompt_tokens, locale)}</td>
              <td>{tokens(m.completion_tokens, locale)}</td>
              <td>{dollars(m.estimated_cost_usd, locale) ?? t("noPrice")}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
