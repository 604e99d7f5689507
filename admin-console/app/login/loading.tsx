import { getT } from "@/app/lib/i18n";
import { CardSkeleton } from "@/app/ui/skeletons";

export default async function Loading() {
  const t = await getT("loading");
  return (
    <main className="login-wrap">
      <div className="login-card">
        <CardSkeleton label={t("login")} lines={3} />
      </div>
    </main>
  );
}
