import { ApiError, fetchCustomerExport } from "@/app/lib/api";
import { getT } from "@/app/lib/i18n";
import { positiveInt } from "@/app/lib/params";
import { failureOf, sayProblem } from "@/app/lib/problems";

// "Export JSON": everything stored about one customer, downloaded with the caller's own token
// (the API checks their role and the business).
export async function GET(_request: Request, { params }: { params: Promise<{ id: string; customerId: string }> }) {
  const route = await params;
  const id = positiveInt(route.id);
  const customerId = positiveInt(route.customerId);
  if (!id || !customerId) return Response.json({ message: "no such conversation" }, { status: 404 });
  try {
    const data = await fetchCustomerExport(id, customerId);
    return new Response(JSON.stringify(data, null, 2), {
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": `attachment; filename="customer-${id}-${customerId}.json"`,
        "Cache-Control": "no-store",
      },
    });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const { reason } = error.body;
    const failure = {
      message: error.message,
      refusal: reason ? { reason, alternatives: [] } : undefined,
      fromApi: true,
    };
    return Response.json({ message: sayProblem(failureOf(failure), await getT("problems")) }, { status: error.status });
  }
}
