import { SectionSkeleton } from "@/app/ui/skeletons";

export default function Loading() {
  return <SectionSkeleton label="Loading the reference document" />;
}
