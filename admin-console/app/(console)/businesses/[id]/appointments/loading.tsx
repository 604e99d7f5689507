import { CardSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return <CardSkeleton label="Loading appointments" lines={10} />;
}
