import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { fetchBusiness, fetchReferenceDocument, fetchReferenceVersions, fetchRole } from "@/app/lib/api";
import type { ReferenceDocument, ReferenceVersion } from "@/app/lib/definitions";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { formatDateTime } from "@/app/lib/time";
import { Conflicts } from "@/app/ui/knowledge/conflicts";
import { DocumentEditor } from "@/app/ui/knowledge/document-editor";
import { ImportForm } from "@/app/ui/knowledge/import-form";
import { ImportReportCard } from "@/app/ui/knowledge/import-report";

type KnowledgeT = Awaited<ReturnType<typeof getT<"knowledge">>>;

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("knowledge"))("title") };
}

export default async function KnowledgePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const asked = positiveInt(param(await searchParams, "version"));
  const [role, business, document, versions] = await Promise.all([
    fetchRole(id),
    fetchBusiness(id),
    fetchReferenceDocument(id, asked ?? undefined),
    fetchReferenceVersions(id),
  ]);
  const manager = role !== "staff";
  const t = await getT("knowledge");
  const locale = businessLocale(await getLang(), business.timezone);
  const current = versions[0]?.version ?? null;
  const old = document.version !== null && document.version !== current;
  const lastUrl = document.source_url ?? versions.find((v) => v.source_url)?.source_url ?? "";
  return (
    <div className="grid-main-side">
      <div>
        {manager && !old ? (
          <DocumentEditor businessId={id} document={document} />
        ) : (
          <DocumentText document={document} old={old} businessId={id} t={t} />
        )}
        <PromptNote document={document} t={t} locale={locale} />
        <Conflicts conflicts={document.conflicts} />
      </div>
      <div>
        {manager ? <ImportForm businessId={id} url={lastUrl} /> : null}
        {document.report ? <ImportReportCard report={document.report} /> : null}
        <Versions
          businessId={id}
          versions={versions}
          shown={document.version}
          timeZone={business.timezone}
          locale={locale}
          t={t}
        />
      </div>
    </div>
  );
}

function DocumentText({
  document,
  old,
  businessId,
  t,
}: {
  document: ReferenceDocument;
  old: boolean;
  businessId: number;
  t: KnowledgeT;
}) {
  return (
    <section className="card" aria-labelledby="document-title">
      <div className="card-head">
        <h2 id="document-title">{t("document")}</h2>
        <span className="muted small">
          {document.version ? t("version", { version: document.version }) : t("noneYet")}
        </span>
      </div>
      {old ? (
        <p className="notice info">
          {t("earlier")} <Link href={`/businesses/${businessId}/knowledge`}>{t("backCurrent")}</Link>
        </p>
      ) : null}
      {document.content ? (
        <pre className="prompt" tabIndex={0} aria-label={t("textLabel")}>
          {document.content}
        </pre>
      ) : (
        <p className="muted">{t("empty")}</p>
      )}
    </section>
  );
}

function PromptNote({ document, t, locale }: { document: ReferenceDocument; t: KnowledgeT; locale: string }) {
  if (!document.shortened_in_prompt) return null;
  return (
    <p className="notice warn">
      {t("shortened", {
        shown: new Intl.NumberFormat(locale).format(document.in_prompt_chars),
        total: new Intl.NumberFormat(locale).format(document.content.length),
      })}
    </p>
  );
}

function Versions({
  businessId,
  versions,
  shown,
  timeZone,
  locale,
  t,
}: {
  businessId: number;
  versions: ReferenceVersion[];
  shown: number | null;
  timeZone: string;
  locale: string;
  t: KnowledgeT;
}) {
  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">{t("versions")}</h2>
      {versions.length === 0 ? <p className="muted">{t("none")}</p> : null}
      <ul className="list small" data-testid="versions">
        {versions.map((v) => (
          <li key={v.version}>
            <Link
              href={`/businesses/${businessId}/knowledge?version=${v.version}`}
              aria-current={v.version === shown ? "page" : undefined}
            >
              {t("versionLink", { version: v.version })}
            </Link>{" "}
            <span className="badge">{v.source === "import" ? t("imported") : t("edited")}</span>
            <div className="muted">
              {formatDateTime(v.created_at, timeZone, locale)}
              {v.created_by ? ` · ${v.created_by}` : ""} ·{" "}
              {t("chars", { count: new Intl.NumberFormat(locale).format(v.chars) })}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
