import type { ImportReport } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";
import { skippedLines, stoppedReason } from "@/app/lib/import-report";

/** What the import that made this version read and left out, and why. */
export async function ImportReportCard({ report }: { report: ImportReport }) {
  const t = await getT("knowledge");
  const stopped = stoppedReason(report, t);
  return (
    <section className="card" aria-labelledby="report-title">
      <h2 id="report-title">{t("lastImport")}</h2>
      <p className="small">
        {t("pagesRead", {
          count: report.pages.length,
          url: report.start_url,
          how: report.written_by === "model" ? t("byModel") : t("bySentences"),
        })}
        {stopped ? ` ${t("stopped", { reason: stopped })}` : ""}
        {report.other_site_links ? ` ${t("otherSiteLinks", { count: report.other_site_links })}` : ""}
        {report.robots_cut?.length ? ` ${t("robotsCut")}` : ""}
      </p>
      <ul className="list small">
        {report.pages.map((p) => (
          <li key={p.url}>
            <span className="badge green">{t("read")}</span> {p.title || p.url}
            {p.title ? <div className="muted break">{p.url}</div> : null}
          </li>
        ))}
        {skippedLines(report, t).map((s, i) => (
          <li key={`${s.url}-${i}`}>
            <span className="badge">{t("skipped")}</span> <span className="break">{s.url}</span>
            <div lang={s.english ? "en" : undefined}>{s.reason}</div>
            {s.detail ? (
              <div className="muted break" lang="en">
                {s.detail}
              </div>
            ) : null}
          </li>
        ))}
        {report.skipped_omitted ? <li className="muted">{t("notListed", { count: report.skipped_omitted })}</li> : null}
      </ul>
    </section>
  );
}
