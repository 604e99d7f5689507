import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchBusiness, fetchRole } from "@/app/lib/api";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { NotAllowed } from "@/app/ui/not-allowed";
import { ChannelsForm } from "@/app/ui/settings/channels-form";
import { HoursForm } from "@/app/ui/settings/hours-form";
import { ProfileForm } from "@/app/ui/settings/profile-form";
import { PromptPreview } from "@/app/ui/settings/prompt-preview";
import { RemindersForm } from "@/app/ui/settings/reminders-form";
import { RulesForm } from "@/app/ui/settings/rules-form";
import { ServicesForm } from "@/app/ui/settings/services-form";
import { Lines } from "@/app/ui/skeletons";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("settings"))("title") };
}

function timezones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Madrid", "Europe/London"];
  }
}

export default async function SettingsPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  const t = await getT("settings");
  if (role === "staff") {
    return <NotAllowed role={role} what={t("notAllowed")} back={`/businesses/${id}`} />;
  }
  const business = await fetchBusiness(id);
  const lang = await getLang();
  const locale = businessLocale(lang, business.timezone);
  return (
    <div className="grid-main-side">
      <div>
        <ProfileForm business={business} timezones={timezones()} superadmin={role === "superadmin"} />
        <ChannelsForm business={business} superadmin={role === "superadmin"} />
        <ServicesForm business={business} />
        <HoursForm business={business} lang={lang} locale={locale} />
        <RulesForm business={business} />
        <RemindersForm business={business} />
      </div>
      <section className="card sticky" aria-labelledby="preview-title">
        <div className="card-head">
          <h2 id="preview-title">{t("preview")}</h2>
          <span className="muted small">{t("previewHint")}</span>
        </div>
        <Suspense
          fallback={
            <div role="status" aria-label={t("previewLoading")}>
              <Lines count={12} />
            </div>
          }
        >
          <PromptPreview businessId={id} />
        </Suspense>
      </section>
    </div>
  );
}
