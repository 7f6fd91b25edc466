// OpenAPI answers: routing and request validation by openapi-backend, responses from examples or openapi-sampler.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import $RefParser from '@apidevtools/json-schema-ref-parser';
import OpenAPIBackend from 'openapi-backend';
import { sample } from 'openapi-sampler';
import { swaggerToOpenApi } from './swagger2';
import type { MockRequest, MockResponse } from './types';

type Doc = Record<string, unknown>;
type Json = Record<string, unknown>;

/** A validation failure: the field (dotted path, `body.amount`, `query.limit`) and the rule it broke. */
export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

export type OpenApiAnswer =
  | { kind: 'response'; response: MockResponse; operationId: string }
  | { kind: 'invalid'; errors: FieldError[] }
  | { kind: 'no-route' };

export class OpenApiMock {
  private constructor(private readonly api: OpenAPIBackend) {}

  /** Writes the document's files into a private folder, resolves `$ref`s across them and prepares routing. */
  static async load(openapi: { entry: string; files: Record<string, string> }): Promise<OpenApiMock> {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-mock-'));
    for (const [rel, text] of Object.entries(openapi.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    let doc = (await $RefParser.dereference(join(dir, openapi.entry))) as Doc;
    if (doc.swagger === '2.0') doc = swaggerToOpenApi(doc);
    // Validation finds operations by id: one without is named by its method and path.
    for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item))
        if (
          op &&
          typeof op === 'object' &&
          !Array.isArray(op) &&
          method !== 'parameters' &&
          op.operationId === undefined
        )
          op.operationId = `${method.toUpperCase()} ${path}`;
    }
    const api = new OpenAPIBackend({
      definition: doc as never,
      validate: true,
      strict: false,
      quick: false,
      ajvOpts: { allErrors: true } as never,
    });
    await api.init();
    return new OpenApiMock(api);
  }

  answer(req: MockRequest): OpenApiAnswer {
    const request = {
      method: req.method.toLowerCase(),
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body,
    };
    const operation = this.api.matchOperation(request);
    if (!operation) return { kind: 'no-route' };
    const result = this.api.validateRequest(request, operation);
    if (!result.valid) return { kind: 'invalid', errors: (result.errors ?? []).map(fieldError) };
    const responses = (operation.responses ?? {}) as Record<string, Json>;
    const code =
      Object.keys(responses)
        .filter((c) => /^2\d\d$/.test(c))
        .sort()[0] ?? (responses.default ? 'default' : undefined);
    const status = code === undefined || code === 'default' ? 200 : Number(code);
    const chosen = code ? responses[code] : undefined;
    const content = (chosen?.content ?? {}) as Record<string, Json>;
    const type = content['application/json'] ? 'application/json' : Object.keys(content)[0];
    const media = type ? content[type] : undefined;
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    return {
      kind: 'response',
      operationId: operation.operationId ?? `${req.method} ${operation.path}`,
      response: { status, headers, body: media ? bodyFor(media) : undefined },
    };
  }

  /** What is wrong with an upstream's answer to `req` by the document (nothing when the document has no such operation). */
  checkResponse(req: MockRequest, res: MockResponse): FieldError[] {
    const operation = this.api.matchOperation({
      method: req.method.toLowerCase(),
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body,
    });
    if (!operation) return [];
    const declared = Object.keys(operation.responses ?? {});
    if (
      !declared.includes(String(res.status)) &&
      !declared.includes(`${String(res.status)[0]}XX`) &&
      !declared.includes('default')
    ) {
      return [
        {
          field: 'status',
          rule: 'responses',
          message: `status ${res.status} is not a declared response (${declared.join(', ')})`,
        },
      ];
    }
    const result = this.api.validateResponse(res.body, operation, res.status);
    return result.valid
      ? []
      : (result.errors ?? []).map((e) => {
          const f = fieldError(e as AjvError);
          const field = f.field === 'body' ? 'response' : `response.${f.field}`;
          return { ...f, field, message: f.message.replace(f.field, field) };
        });
  }
}

/** The first example of the media type, else the schema's example, else a sample generated from the schema (deterministic). */
function bodyFor(media: Json): unknown {
  if (media.example !== undefined) return media.example;
  const examples = media.examples as Record<string, { value?: unknown }> | undefined;
  const first = examples ? Object.values(examples)[0] : undefined;
  if (first?.value !== undefined) return first.value;
  const schema = media.schema as Json | undefined;
  if (!schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  return sample(schema as never, { skipReadOnly: false, skipWriteOnly: true, quiet: true } as never);
}

interface AjvError {
  instancePath?: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/requestBody/amount` + required `currency` → `body.amount.currency`; `/query/limit` → `query.limit`. */
export function fieldError(e: AjvError): FieldError {
  const parts = (e.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'requestBody') parts[0] = 'body';
  if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') parts.push(e.params.missingProperty);
  if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string')
    parts.push(e.params.additionalProperty);
  const field = parts.join('.') || 'body';
  const allowed = Array.isArray(e.params?.allowedValues)
    ? ` (${(e.params.allowedValues as unknown[]).join(', ')})`
    : '';
  return { field, rule: e.keyword, message: `${field} ${e.message ?? 'is not valid'}${allowed}` };
}
