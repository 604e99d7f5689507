import { getT } from "@/app/lib/i18n";
import { SectionSkeleton } from "@/app/ui/skeletons";

export default async function Loading() {
  const t = await getT("loading");
  return <SectionSkeleton label={t("password")} />;
}
