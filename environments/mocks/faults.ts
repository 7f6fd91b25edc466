// Faults switched at runtime: which one applies to a request, and whether this request is hit.
import { matchPath } from './match';
import type { Fault, MockRequest } from './types';

export class Faults {
  private list: Fault[] = [];

  /** A fault for a route replaces the one for the same route; without a route it is the mock's own. */
  set(fault: Fault): void {
    this.list = [...this.list.filter((f) => f.route !== fault.route), fault];
  }

  clear(route?: string): void {
    this.list = route === undefined ? [] : this.list.filter((f) => f.route !== route);
  }

  all(): Fault[] {
    return [...this.list];
  }

  /** The route's own fault wins over the mock's; `roll` is a number in [0, 1) (Math.random by default). */
  pick(req: MockRequest, roll = Math.random()): Fault | undefined {
    const own = this.list.find((f) => f.route !== undefined && routeMatches(f.route, req));
    const fault = own ?? this.list.find((f) => f.route === undefined);
    if (!fault) return undefined;
    return roll < (fault.rate ?? 1) ? fault : fault.latencyMs ? { latencyMs: fault.latencyMs } : undefined;
  }
}

/** `POST /charges/{id}` or `/charges/**`: an optional method, then a path pattern. */
export function routeMatches(route: string, req: MockRequest): boolean {
  const [first, second] = route.trim().split(/\s+/);
  const method = second === undefined ? undefined : first.toUpperCase();
  const path = second ?? first;
  return (method === undefined || method === req.method) && matchPath(path, req.path) !== undefined;
}
