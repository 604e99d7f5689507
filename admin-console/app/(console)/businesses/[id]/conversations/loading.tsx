import { CardSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return <CardSkeleton label="Loading conversations" lines={8} />;
}
