import { fetchLlmBreakers } from "@/app/lib/api";
import type { LlmBreaker } from "@/app/lib/definitions";

const BADGE: Record<LlmBreaker["state"], string> = { closed: "green", half_open: "yellow", open: "red" };
const LABEL: Record<LlmBreaker["state"], string> = { closed: "closed", half_open: "half-open", open: "open" };

function since(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", timeZoneName: "short" }) : "—";
}

/** The model providers' circuit breakers, for superadmins. */
export async function LlmBreakers() {
  const breakers = await fetchLlmBreakers();
  return (
    <section className="card" aria-labelledby="breakers-title">
      <div className="card-head">
        <h2 id="breakers-title">Model providers</h2>
      </div>
      {breakers === null ? (
        <p className="muted">The breakers cannot be read right now.</p>
      ) : breakers.length === 0 ? (
        <p className="muted">No model is configured: the bot answers with the offline model.</p>
      ) : (
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Breaker</th>
              <th scope="col">Failures in a row</th>
              <th scope="col">Open since</th>
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
                    {LABEL[b.state]}
                  </span>
                </td>
                <td>{b.failures}</td>
                <td>{since(b.opened_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small">
        While a breaker is open, turns go to the fallback model if one is configured, otherwise to the model-free flow
        with a short note to the customer.
      </p>
    </section>
  );
}
