import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchBusiness } from "@/app/lib/api";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { ConversationList } from "@/app/ui/conversations/conversation-list";
import { CardSkeleton } from "@/app/ui/skeletons";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("inbox"))("title") };
}

export default async function ConversationsPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const query = await searchParams;
  const q = param(query, "q").slice(0, 200);
  const page = positiveInt(param(query, "page")) ?? 1;
  const [business, lang, t, loading] = await Promise.all([
    fetchBusiness(id),
    getLang(),
    getT("inbox"),
    getT("loading"),
  ]);
  return (
    <section className="card" aria-labelledby="conversations-title">
      <h2 id="conversations-title">{t("title")}</h2>
      <form className="search" role="search" action={`/businesses/${id}/conversations`}>
        <label htmlFor="conversation-search" className="visually-hidden">
          {t("search")}
        </label>
        <input id="conversation-search" name="q" type="search" defaultValue={q} placeholder={t("placeholder")} />
        <button type="submit">{t("searchButton")}</button>
      </form>
      <Suspense key={`${q}:${page}`} fallback={<CardSkeleton label={loading("conversations")} lines={6} />}>
        <ConversationList
          businessId={id}
          timeZone={business.timezone}
          locale={businessLocale(lang, business.timezone)}
          query={q}
          page={page}
        />
      </Suspense>
    </section>
  );
}
