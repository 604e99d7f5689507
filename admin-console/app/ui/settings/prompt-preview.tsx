import { fetchPromptPreview } from "@/app/lib/api";

/** The system prompt the bot gets on its next turn, rebuilt from the saved settings. */
export async function PromptPreview({ businessId }: { businessId: number }) {
  const prompt = await fetchPromptPreview(businessId);
  return (
    <pre className="prompt" data-testid="prompt-preview" tabIndex={0} aria-label="System prompt preview">
      {prompt}
    </pre>
  );
}
