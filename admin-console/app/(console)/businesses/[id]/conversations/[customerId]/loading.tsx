import { getT } from "@/app/lib/i18n";
import { ChatSkeleton } from "@/app/ui/skeletons";

export default async function Loading() {
  const t = await getT("loading");
  return (
    <div className="card">
      <ChatSkeleton label={t("conversation")} />
    </div>
  );
}
