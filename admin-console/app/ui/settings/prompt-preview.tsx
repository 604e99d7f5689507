import { fetchPromptPreview } from "@/app/lib/api";
import { getT } from "@/app/lib/i18n";

/** The system prompt the bot gets on its next turn, rebuilt from the saved settings. */
export async function PromptPreview({ businessId }: { businessId: number }) {
  const prompt = await fetchPromptPreview(businessId);
  const t = await getT("settings");
  return (
    <pre className="prompt" data-testid="prompt-preview" tabIndex={0} aria-label={t("previewLabel")}>
      {prompt}
    </pre>
  );
}
