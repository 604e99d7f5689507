import { getT } from "@/app/lib/i18n";
import { CardSkeleton } from "@/app/ui/skeletons";

export default async function Loading() {
  const t = await getT("loading");
  return <CardSkeleton label={t("businesses")} lines={5} />;
}
