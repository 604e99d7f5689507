import type { ImportReport } from "@/app/lib/definitions";

/** What the import that made this version read and left out, and why. */
export function ImportReportCard({ report }: { report: ImportReport }) {
  return (
    <section className="card" aria-labelledby="report-title">
      <h2 id="report-title">Last import</h2>
      <p className="small">
        {report.pages.length} {report.pages.length === 1 ? "page" : "pages"} read from {report.start_url}, written{" "}
        {report.written_by === "model" ? "by the model" : "from the pages' own sentences"}.
        {report.stopped ? ` Stopped early: ${report.stopped}.` : ""}
      </p>
      <ul className="list small">
        {report.pages.map((p) => (
          <li key={p.url}>
            <span className="badge green">read</span> {p.title || p.url}
            {p.title ? <div className="muted break">{p.url}</div> : null}
          </li>
        ))}
        {report.skipped.map((s) => (
          <li key={`${s.url}-${s.reason}`}>
            <span className="badge">skipped</span> <span className="break">{s.url}</span>
            <div className="muted">{s.reason}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
