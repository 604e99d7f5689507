import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { fetchRole, fetchUsage } from "@/app/lib/api";
import type { UsageMonth } from "@/app/lib/definitions";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { NotAllowed } from "@/app/ui/not-allowed";
import { BudgetForm } from "@/app/ui/usage/budget-form";
import { dollars, monthName, percent, tokens } from "@/app/ui/usage/format";

export const metadata: Metadata = { title: "Usage" };

export default async function UsagePage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  if (role === "staff") return <NotAllowed role={role} what="see the model usage" back={`/businesses/${id}`} />;
  const usage = await fetchUsage(id);
  const current = usage.current_month;
  const budget = usage.monthly_token_budget;
  return (
    <div className="grid-main-side">
      <div>
        <section className="card" aria-labelledby="month-title">
          <h2 id="month-title">{monthName(current.month)}</h2>
          <dl className="stats">
            <div>
              <dt>Tokens</dt>
              <dd data-testid="tokens-this-month">{tokens(current.total_tokens)}</dd>
            </div>
            <div>
              <dt>Estimated cost</dt>
              <dd>{dollars(current.estimated_cost_usd)}</dd>
            </div>
            <div>
              <dt>Budget</dt>
              <dd>{budget === null ? "unlimited" : `${tokens(budget)} (${percent(current.budget_used ?? 0)} used)`}</dd>
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
              aria-label="Share of the monthly budget used"
            />
          ) : null}
          <p className="muted small">
            Months are calendar months in {usage.timezone}. Tokens are what the model reported for each turn and each
            website import; the cost is an estimate from the configured prices.
          </p>
        </section>
        <section className="card" aria-labelledby="months-title">
          <h2 id="months-title">By month</h2>
          {usage.months.length === 0 ? <p className="muted">No model use yet.</p> : <Months months={usage.months} />}
        </section>
      </div>
      {role === "superadmin" ? (
        <BudgetForm businessId={id} budget={budget} />
      ) : (
        <section className="card" aria-labelledby="budget-title">
          <h2 id="budget-title">Monthly token budget</h2>
          <p>{budget === null ? "Unlimited." : `${tokens(budget)} tokens a month.`}</p>
          <p className="muted small">Set by the operator (a superadmin).</p>
        </section>
      )}
    </div>
  );
}

function Months({ months }: { months: UsageMonth[] }) {
  return (
    <table className="table stack-phone">
      <thead>
        <tr>
          <th scope="col">Month</th>
          <th scope="col">Model</th>
          <th scope="col">Prompt</th>
          <th scope="col">Completion</th>
          <th scope="col">Estimated cost</th>
        </tr>
      </thead>
      <tbody>
        {months.flatMap((month) =>
          month.models.map((m, i) => (
            <tr key={`${month.month}-${m.model}`}>
              <td>{i === 0 ? <strong>{monthName(month.month)}</strong> : null}</td>
              <td>{m.model}</td>
              <td>{tokens(m.prompt_tokens)}</td>
              <td>{tokens(m.completion_tokens)}</td>
              <td>{dollars(m.estimated_cost_usd)}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
