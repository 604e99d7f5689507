import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { fetchBusiness, fetchReferenceDocument, fetchReferenceVersions, fetchRole } from "@/app/lib/api";
import type { ReferenceDocument, ReferenceVersion } from "@/app/lib/definitions";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { formatDateTime } from "@/app/lib/time";
import { Conflicts } from "@/app/ui/knowledge/conflicts";
import { DocumentEditor } from "@/app/ui/knowledge/document-editor";
import { ImportForm } from "@/app/ui/knowledge/import-form";
import { ImportReportCard } from "@/app/ui/knowledge/import-report";

export const metadata: Metadata = { title: "Knowledge" };

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
  const current = versions[0]?.version ?? null;
  const old = document.version !== null && document.version !== current;
  const lastUrl = document.source_url ?? versions.find((v) => v.source_url)?.source_url ?? "";
  return (
    <div className="grid-main-side">
      <div>
        {manager && !old ? (
          <DocumentEditor businessId={id} document={document} />
        ) : (
          <DocumentText document={document} old={old} businessId={id} />
        )}
        <PromptNote document={document} />
        <Conflicts conflicts={document.conflicts} />
      </div>
      <div>
        {manager ? <ImportForm businessId={id} url={lastUrl} /> : null}
        {document.report ? <ImportReportCard report={document.report} /> : null}
        <Versions businessId={id} versions={versions} shown={document.version} timeZone={business.timezone} />
      </div>
    </div>
  );
}

function DocumentText({
  document,
  old,
  businessId,
}: {
  document: ReferenceDocument;
  old: boolean;
  businessId: number;
}) {
  return (
    <section className="card" aria-labelledby="document-title">
      <div className="card-head">
        <h2 id="document-title">Reference document</h2>
        <span className="muted small">{document.version ? `version ${document.version}` : "none yet"}</span>
      </div>
      {old ? (
        <p className="notice info">
          An earlier version, for reading.{" "}
          <Link href={`/businesses/${businessId}/knowledge`}>Back to the current one</Link>
        </p>
      ) : null}
      {document.content ? (
        <pre className="prompt" tabIndex={0} aria-label="Reference document text">
          {document.content}
        </pre>
      ) : (
        <p className="muted">No reference document yet: the bot answers from the settings alone.</p>
      )}
    </section>
  );
}

function PromptNote({ document }: { document: ReferenceDocument }) {
  if (!document.shortened_in_prompt) return null;
  return (
    <p className="notice warn">
      Only the first {document.in_prompt_chars} of {document.content.length} characters fit in the bot&apos;s prompt
      (whole lines from the top): put what matters most first.
    </p>
  );
}

function Versions({
  businessId,
  versions,
  shown,
  timeZone,
}: {
  businessId: number;
  versions: ReferenceVersion[];
  shown: number | null;
  timeZone: string;
}) {
  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {versions.length === 0 ? <p className="muted">None yet.</p> : null}
      <ul className="list small" data-testid="versions">
        {versions.map((v) => (
          <li key={v.version}>
            <Link
              href={`/businesses/${businessId}/knowledge?version=${v.version}`}
              aria-current={v.version === shown ? "page" : undefined}
            >
              Version {v.version}
            </Link>{" "}
            <span className="badge">{v.source === "import" ? "imported" : "edited"}</span>
            <div className="muted">
              {formatDateTime(v.created_at, timeZone)}
              {v.created_by ? ` · ${v.created_by}` : ""} · {v.chars} characters
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
