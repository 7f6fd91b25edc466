// Resources kept by a stateful mock: a POST or PUT stores the body, a GET of the same resource returns it.
import type { MockRequest } from './types';

export class ResourceState {
  private readonly items = new Map<string, unknown>();
  private next = 1;

  reset(): void {
    this.items.clear();
    this.next = 1;
  }

  /** What the store answers for this request, or undefined when it has nothing to say. */
  handle(req: MockRequest): { status: number; body: unknown } | undefined {
    const path = req.path.replace(/\/+$/, '') || '/';
    const body =
      req.body && typeof req.body === 'object' && !Array.isArray(req.body)
        ? (req.body as Record<string, unknown>)
        : undefined;
    if (req.method === 'POST' && body) {
      const id = typeof body.id === 'string' || typeof body.id === 'number' ? String(body.id) : String(this.next++);
      const item = { ...body, id };
      this.items.set(`${path}/${id}`, item);
      return { status: 201, body: item };
    }
    if ((req.method === 'PUT' || req.method === 'PATCH') && body) {
      const prior = this.items.get(path) as Record<string, unknown> | undefined;
      const item = req.method === 'PATCH' && prior ? { ...prior, ...body } : body;
      this.items.set(path, item);
      return { status: 200, body: item };
    }
    if (req.method === 'DELETE' && this.items.delete(path)) return { status: 204, body: undefined };
    if (req.method === 'GET') {
      if (this.items.has(path)) return { status: 200, body: this.items.get(path) };
      const children = [...this.items.entries()].filter(
        ([k]) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes('/'),
      );
      if (children.length > 0) return { status: 200, body: children.map(([, v]) => v) };
    }
    return undefined;
  }
}
