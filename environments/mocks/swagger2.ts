// Converts a dereferenced Swagger 2.0 document into the OpenAPI 3.0 shape the mock routes and validates with.
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

export function swaggerToOpenApi(doc: Json): Json {
  const produces = (doc.produces as string[] | undefined)?.[0] ?? 'application/json';
  const consumes = (doc.consumes as string[] | undefined)?.[0] ?? 'application/json';
  // The base path is folded into each path: the mock routes on paths alone.
  const base = typeof doc.basePath === 'string' ? doc.basePath.replace(/\/+$/, '') : '';
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const shared = (item.parameters ?? []) as Json[];
    const out: Json = {};
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters ?? []) as Json[])];
      const body = params.find((p) => p.in === 'body');
      const converted: Json = {
        ...op,
        parameters: params.filter((p) => p.in !== 'body' && p.in !== 'formData').map(parameter),
        responses: Object.fromEntries(
          Object.entries((op.responses ?? {}) as Record<string, Json>).map(([code, r]) => [
            code,
            response(r, (op.produces as string[] | undefined)?.[0] ?? produces),
          ]),
        ),
      };
      delete converted.produces;
      delete converted.consumes;
      if (body)
        converted.requestBody = {
          required: body.required === true,
          content: { [(op.consumes as string[] | undefined)?.[0] ?? consumes]: { schema: body.schema } },
        };
      out[method] = converted;
    }
    paths[base + path] = out;
  }
  return { openapi: '3.0.3', info: doc.info ?? { title: 'api', version: '1' }, paths };
}

function parameter(p: Json): Json {
  const { name, in: where, required, description, ...schema } = p;
  delete schema.collectionFormat;
  delete schema.allowEmptyValue;
  return { name, in: where, required: required === true || where === 'path', description, schema };
}

function response(r: Json, type: string): Json {
  const out: Json = { description: r.description ?? '' };
  if (r.schema) {
    const example = (r.examples as Json | undefined)?.[type];
    out.content = { [type]: example === undefined ? { schema: r.schema } : { schema: r.schema, example } };
  }
  return out;
}
