import type { ImportReport } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";

/** What the import that made this version read and left out, and why. */
export async function ImportReportCard({ report }: { report: ImportReport }) {
  const t = await getT("knowledge");
  return (
    <section className="card" aria-labelledby="report-title">
      <h2 id="report-title">{t("lastImport")}</h2>
      <p className="small">
        {t("pagesRead", {
          count: report.pages.length,
          url: report.start_url,
          how: report.written_by === "model" ? t("byModel") : t("bySentences"),
        })}
        {report.stopped ? ` ${t("stopped", { reason: report.stopped })}` : ""}
      </p>
      <ul className="list small">
        {report.pages.map((p) => (
          <li key={p.url}>
            <span className="badge green">{t("read")}</span> {p.title || p.url}
            {p.title ? <div className="muted break">{p.url}</div> : null}
          </li>
        ))}
        {report.skipped.map((s) => (
          <li key={`${s.url}-${s.reason}`}>
            <span className="badge">{t("skipped")}</span> <span className="break">{s.url}</span>
            <div className="muted">{s.reason}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
