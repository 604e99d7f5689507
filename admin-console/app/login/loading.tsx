import { CardSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return (
    <main className="login-wrap">
      <div className="login-card">
        <CardSkeleton label="Loading sign-in" lines={3} />
      </div>
    </main>
  );
}
