import { PageSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return <PageSkeleton label="Loading" />;
}
