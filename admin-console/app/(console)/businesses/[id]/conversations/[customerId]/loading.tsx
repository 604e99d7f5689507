import { ChatSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return (
    <div className="card">
      <ChatSkeleton label="Loading the conversation" />
    </div>
  );
}
