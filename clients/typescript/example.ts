// A small integrator's program typed by the generated okrkpi.d.ts: it pushes a check-in,
// then reads the cascade and the dashboard. `make clients` compiles it with tsc --strict,
// so a schema change that breaks these types fails the build.
import type { components, paths } from "./okrkpi";

type CheckInRequest = components["schemas"]["CheckInRequest"];
type CheckIn = components["schemas"]["CheckIn"];
type Cascade = components["schemas"]["Cascade"];
type CascadeObjective = components["schemas"]["CascadeObjective"];
type Dashboard = components["schemas"]["Dashboard"];
type ApiError = components["schemas"]["Error"];
type CascadeQuery = paths["/api/v1/orgs/{slug}/cascade/"]["get"]["parameters"]["query"];

export class OkrkpiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly slug: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = {
      method,
      headers: { Authorization: `Token ${this.token}`, "Content-Type": "application/json" },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}/api/v1/orgs/${this.slug}/${path}`, init);
    if (!response.ok) {
      const error = (await response.json()) as ApiError;
      const fields = Object.entries(error.errors).map(([field, messages]) => `${field}: ${String(messages)}`);
      throw new Error([error.message, ...fields].join("\n"));
    }
    return (await response.json()) as T;
  }

  checkIn(keyResult: number, value: number, confidence: number, note = ""): Promise<CheckIn> {
    const body: CheckInRequest = { key_result: keyResult, value, confidence, note };
    return this.call<CheckIn>("POST", "check-ins/", body);
  }

  cascade(query: CascadeQuery): Promise<Cascade> {
    const asOf = query.as_of === undefined ? "" : `&as_of=${query.as_of}`;
    return this.call<Cascade>("GET", `cascade/?cycle=${query.cycle}${asOf}`);
  }

  dashboard(cycle: number): Promise<Dashboard> {
    return this.call<Dashboard>("GET", `dashboard/?cycle=${cycle}`);
  }
}

/** Every objective of the cascade, depth first, with its depth: what a BI export reads. */
export function flatten(nodes: CascadeObjective[], depth = 0): Array<{ depth: number; title: string; progress: number }> {
  return nodes.flatMap((node) => [
    { depth, title: node.title, progress: node.progress },
    ...flatten(node.children, depth + 1),
  ]);
}

export async function weeklyUpdate(client: OkrkpiClient, cycle: number, keyResult: number): Promise<string> {
  const saved = await client.checkIn(keyResult, 45, 7, "Two new distributors signed");
  const cascade = await client.cascade({ cycle });
  const dashboard = await client.dashboard(cycle);
  const offTrack = dashboard.health.off_track;
  const lines = flatten(cascade.objectives).map(
    (row) => `${"  ".repeat(row.depth)}${row.title}: ${Math.round(row.progress * 100)}%`,
  );
  const company = cascade.progress === null ? "no company objectives" : `${Math.round(cascade.progress * 100)}%`;
  return [`Saved ${saved.value} at ${saved.created_at}`, `Company: ${company}, ${offTrack} off track`, ...lines].join("\n");
}
