import { getT } from "@/app/lib/i18n";
import { PageSkeleton } from "@/app/ui/skeletons";

export default async function Loading() {
  const t = await getT("loading");
  return <PageSkeleton label={t("page")} />;
}
