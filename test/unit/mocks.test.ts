/** Mocks: stub matching and templates, redaction before anything is written, faults, state, the spec's mocks: section, and OpenAPI answers. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Faults } from '../../environments/mocks/faults';
import { matchExchange, matchPath, matchStub, nearest, renderTemplate } from '../../environments/mocks/match';
import { defaultRules, redactExchange, REDACTED } from '../../environments/mocks/redact';
import { createMockServer } from '../../environments/mocks/server';
import { ResourceState } from '../../environments/mocks/state';
import type { MockConfig, MockRequest } from '../../environments/mocks/types';
import { mockConfig } from '../../environments/spec/mocks';
import { parseSpec } from '../../environments/spec/load';
import { SpecError } from '../../environments/errors';

const req = (method: string, path: string, extra: Partial<MockRequest> = {}): MockRequest => ({
  method,
  path,
  query: {},
  headers: {},
  ...extra,
});
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'shop');

describe('mocks: matching', () => {
  it('matches path patterns with parameters, one-segment and trailing wildcards', () => {
    assert.deepEqual(matchPath('/charges/{id}', '/charges/ch_1'), { id: 'ch_1' });
    assert.deepEqual(matchPath('/a/*/c', '/a/b/c'), {});
    assert.deepEqual(matchPath('/files/**', '/files/x/y/z'), {});
    assert.equal(matchPath('/charges/{id}', '/charges'), undefined);
    assert.equal(matchPath('/charges', '/charges/1'), undefined);
  });

  it('a stub matches on method, query, headers (any case) and a partial JSON body', () => {
    const stub = {
      method: 'POST',
      path: '/charges',
      query: { mode: 'test' },
      headers: { 'X-Key': 'k' },
      body: { card: { brand: 'visa' } },
      response: { status: 201 },
    };
    const good = req('POST', '/charges', {
      query: { mode: 'test', extra: '1' },
      headers: { 'x-key': 'k' },
      body: { amount: 5, card: { brand: 'visa', last4: '4242' } },
    });
    assert.deepEqual(matchStub(stub, good), {});
    assert.equal(matchStub(stub, { ...good, method: 'GET' }), undefined);
    assert.equal(matchStub(stub, { ...good, query: { mode: 'live' } }), undefined);
    assert.equal(matchStub(stub, { ...good, headers: {} }), undefined);
    assert.equal(matchStub(stub, { ...good, body: { card: { brand: 'amex' } } }), undefined);
  });

  it('templates fill from path, query, headers and body, keeping JSON types for whole values', () => {
    const r = req('POST', '/charges/ch_9', {
      query: { q: 'x' },
      headers: { 'x-user': 'ann' },
      body: { amount: 1200, meta: { a: 1 } },
    });
    const out = renderTemplate(
      {
        id: '{{request.path.id}}',
        amount: '{{request.body.amount}}',
        text: 'by {{request.headers.X-User}} q={{request.query.q}} {{request.body.meta}}',
        m: '{{request.method}}',
      },
      r,
      { id: 'ch_9' },
    );
    assert.deepEqual(out, { id: 'ch_9', amount: 1200, text: 'by ann q=x {"a":1}', m: 'POST' });
  });

  it('a recording matches on method, path, query and body; redacted values match anything; the nearest are listed', () => {
    const e = {
      request: req('POST', '/charges', { query: { a: '1' }, body: { email: REDACTED, amount: 3 } }),
      response: { status: 200, headers: {} },
    };
    assert.ok(matchExchange(e, req('POST', '/charges', { query: { a: '1' }, body: { email: 'x@y.io', amount: 3 } })));
    assert.ok(!matchExchange(e, req('POST', '/charges', { query: { a: '1' }, body: { email: 'x@y.io', amount: 4 } })));
    assert.ok(!matchExchange(e, req('POST', '/charges', { query: {}, body: { amount: 3 } })));
    const other = { request: req('GET', '/balance'), response: { status: 200, headers: {} } };
    assert.deepEqual(nearest([other, e], req('POST', '/charges/1')), ['POST /charges?a=1', 'GET /balance']);
  });
});

describe('mocks: redaction', () => {
  it('hides Authorization and Cookie headers, e-mails, card numbers, listed paths, and header values echoed in bodies', () => {
    const rules = defaultRules({ paths: ['customer.phone'] });
    const out = redactExchange(
      {
        request: req('POST', '/pay', {
          headers: { authorization: 'Bearer tok_live_123', cookie: 's=abc' },
          body: {
            customer: { email: 'Jane.Doe@example.com', phone: '+1 555 0100' },
            card: '4242 4242 4242 4242',
            note: 'ok',
          },
        }),
        response: {
          status: 200,
          headers: { 'set-cookie': 'sid=1' },
          body: { echoed: 'token was tok_live_123', contact: 'ops@corp.io' },
        },
      },
      rules,
    );
    const text = JSON.stringify(out);
    for (const secret of [
      'tok_live_123',
      's=abc',
      'Jane.Doe@example.com',
      '+1 555 0100',
      '4242 4242 4242 4242',
      'ops@corp.io',
      'sid=1',
    ])
      assert.ok(!text.includes(secret), `${secret} left in ${text}`);
    assert.equal((out.request.body as { note: string }).note, 'ok');
    assert.equal(out.request.headers.authorization, REDACTED);
  });
});

describe('mocks: faults and state', () => {
  it('a route fault wins over the mock-wide one; the rate decides which requests are hit; clear removes', () => {
    const f = new Faults();
    f.set({ status: 503, rate: 0.5 });
    f.set({ route: 'POST /charges', status: 429 });
    assert.equal(f.pick(req('POST', '/charges'), 0.9)?.status, 429);
    assert.equal(f.pick(req('GET', '/balance'), 0.2)?.status, 503);
    assert.equal(f.pick(req('GET', '/balance'), 0.7), undefined);
    f.clear('POST /charges');
    assert.equal(f.pick(req('POST', '/charges'), 0.1)?.status, 503);
    f.clear();
    assert.equal(f.pick(req('POST', '/charges'), 0), undefined);
  });

  it('POST then GET returns what was posted; the collection lists it; reset forgets', () => {
    const s = new ResourceState();
    assert.deepEqual(s.handle(req('POST', '/charges', { body: { amount: 5 } })), {
      status: 201,
      body: { amount: 5, id: '1' },
    });
    assert.deepEqual(s.handle(req('GET', '/charges/1')), { status: 200, body: { amount: 5, id: '1' } });
    assert.deepEqual(s.handle(req('GET', '/charges')), { status: 200, body: [{ amount: 5, id: '1' }] });
    s.reset();
    assert.equal(s.handle(req('GET', '/charges/1')), undefined);
  });
});

describe('mocks: slipway.yaml', () => {
  const spec = (mocks: string, services = 'web:\n    image: x\n    env: { PAY: "${{ mocks.payments.url }}" }') =>
    `version: 1\nname: t\nservices:\n  ${services}\nmocks:\n${mocks}`;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-mocks-spec-'));
  mkdirSync(join(dir, 'api'));
  writeFileSync(join(dir, 'api', 'pay.yaml'), readFileSync(join(EXAMPLE, 'mocks', 'payments.yaml')));
  writeFileSync(join(dir, 'api', 'schemas.yaml'), readFileSync(join(EXAMPLE, 'mocks', 'schemas.yaml')));
  const issues = (text: string) => {
    try {
      parseSpec(text, join(dir, 'slipway.yaml'));
    } catch (err) {
      if (SpecError.is(err)) return err.issues;
      throw err;
    }
    return [];
  };

  it('the smallest mock runs as a service; ${{ mocks.payments.url }} refers to it; its files and $refs are read in', () => {
    const s = parseSpec(spec('  payments: { openapi: api/pay.yaml }'), join(dir, 'slipway.yaml'));
    assert.deepEqual(
      s.mocks?.map((m) => [m.name, m.port, m.state]),
      [['payments', 4010, false]],
    );
    assert.deepEqual(
      s.services.map((x) => x.name),
      ['web', 'mock-payments'],
    );
    assert.deepEqual(s.services[0].env.PAY, [{ ref: { kind: 'services', name: 'mock-payments', attr: 'url' } }]);
    assert.deepEqual(s.services[0].dependsOn.services, ['mock-payments']);
    assert.deepEqual(Object.keys(mockConfig(s.mocks![0], dir).openapi!.files).sort(), [
      'api/pay.yaml',
      'api/schemas.yaml',
    ]);
  });

  it('names the file, line and field of a missing document, a broken $ref, a mock with no source and an undeclared mock', () => {
    writeFileSync(
      join(dir, 'api', 'broken.yaml'),
      'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      responses:\n        "200": { $ref: "./gone.yaml#/R" }\n',
    );
    const found = issues(
      spec(
        '  payments: { openapi: api/nope.yaml }\n  other: { openapi: api/broken.yaml }\n  empty: { state: true }',
        'web:\n    image: x\n    env: { PAY: "${{ mocks.payment.url }}" }',
      ),
    );
    const text = found.map((i) => `${i.line}:${i.field}: ${i.message}`);
    assert.ok(
      text.some((t) => /^8:mocks\.payments\.openapi: .*nope\.yaml does not exist/.test(t)),
      text.join('\n'),
    );
    assert.ok(
      text.some((t) => /^9:mocks\.other\.openapi: .*gone\.yaml does not exist \(\$ref from .*broken\.yaml\)/.test(t)),
      text.join('\n'),
    );
    assert.ok(
      text.some((t) => /^10:mocks\.empty: .*has no source/.test(t)),
      text.join('\n'),
    );
    assert.ok(
      text.some((t) => /^6:services\.web\.env\.PAY: .*mock-payment.*not declared/.test(t)),
      text.join('\n'),
    );
  });
});

describe('mocks: the server', () => {
  let base = '';
  let close = () => {};
  before(async () => {
    const dir = join(EXAMPLE, 'mocks');
    const config: MockConfig = {
      name: 'payments',
      port: 0,
      state: true,
      stubs: [{ method: 'GET', path: '/hello/{who}', response: { status: 200, body: { hi: '{{request.path.who}}' } } }],
      recordings: [
        { request: req('GET', '/recorded'), response: { status: 202, headers: {}, body: { from: 'recording' } } },
      ],
      openapi: {
        entry: 'payments.yaml',
        files: {
          'payments.yaml': readFileSync(join(dir, 'payments.yaml'), 'utf8'),
          'schemas.yaml': readFileSync(join(dir, 'schemas.yaml'), 'utf8'),
        },
      },
      redact: defaultRules(),
    };
    const { server } = await createMockServer(config);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => {
      server.close();
      server.closeAllConnections();
    };
  });
  after(() => close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };

  it('stubs, then recordings, then the document; a generated answer is the same for the same request', async () => {
    assert.deepEqual((await call('GET', '/hello/ann')).body, { hi: 'ann' });
    assert.deepEqual(await call('GET', '/recorded').then((r) => [r.status, r.body]), [202, { from: 'recording' }]);
    const a = await call('GET', '/balance');
    assert.equal(a.status, 200);
    assert.equal(typeof a.body.available, 'number');
    assert.deepEqual((await call('GET', '/balance')).body, a.body);
  });

  it('a request that breaks the document gets a 400 naming the field and the rule', async () => {
    const bad = await call('POST', '/charges', { amount: 'ten', currency: 'eur' });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.body.errors as Array<{ field: string; rule: string }>).map((e) => [e.field, e.rule]),
      [['body.amount', 'type']],
    );
    const missing = await call('POST', '/charges', { amount: 3 });
    assert.deepEqual(
      (missing.body.errors as Array<{ field: string; rule: string }>).map((e) => [e.field, e.rule]),
      [['body.currency', 'required']],
    );
    const query = await call('GET', '/balance?currency=gbp');
    assert.deepEqual(
      (query.body.errors as Array<{ field: string; rule: string }>).map((e) => [e.field, e.rule]),
      [['query.currency', 'enum']],
    );
  });

  it('faults change the next request, 429 carries Retry-After, and the log holds no secret', async () => {
    await fetch(`${base}/__slipway/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 429, retryAfterS: 7 }),
    });
    const hit = await call('GET', '/balance');
    assert.equal(hit.status, 429);
    assert.equal(hit.headers.get('retry-after'), '7');
    await fetch(`${base}/__slipway/faults`, { method: 'DELETE' });
    assert.equal((await call('GET', '/balance')).status, 200);
    await call('POST', '/charges', { amount: 5, currency: 'eur', description: 'receipt to jane@example.com' });
    const log = await (await fetch(`${base}/__slipway/log`)).text();
    assert.ok(log.includes('"source":"fault"'));
    assert.ok(!log.includes('s3cret-token') && !log.includes('jane@example.com'), 'the log holds a secret');
  });

  it('an unknown route is a 404 that lists the nearest recorded requests', async () => {
    const r = await call('GET', '/recorde');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body.nearest, ['GET /recorded']);
  });
});

describe('mocks: the contract check and its gate', () => {
  it('verify passes while the upstream answers as recorded, and names what drifted when it does not', async () => {
    let amount: unknown = 5;
    const { createServer } = await import('node:http');
    const upstream = createServer((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.end(JSON.stringify({ id: 'ch_1', amount, currency: 'eur' }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    try {
      const { verifyMock } = await import('../../environments/mocks/verify');
      const config: MockConfig = {
        name: 'p',
        port: 0,
        state: false,
        stubs: [],
        recordings: [
          {
            request: req('GET', '/charges/ch_1'),
            response: { status: 200, headers: {}, body: { id: 'ch_1', amount: 5, currency: 'eur' } },
          },
        ],
        redact: defaultRules(),
      };
      assert.deepEqual((await verifyMock(config, url)).findings, []);
      amount = 'five';
      assert.deepEqual((await verifyMock(config, url)).findings, [
        { request: 'GET /charges/ch_1', problems: ['response.amount is string upstream, number in the mock'] },
      ]);
    } finally {
      upstream.close();
    }
  });

  it("a mocks gate must name declared mocks, and gets the spec's mocks", () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-mocks-gate-'));
    const text = (name: string) =>
      `version: 1\nname: t\nservices:\n  web: { image: x }\nmocks:\n  pay: { stubs: [{ path: /a, response: { status: 200 } }] }\npipeline:\n  stages:\n    - preview\n    - name: staging\n      gates:\n        - mocks: { against: { ${name}: "http://127.0.0.1:9" } }\n`;
    const spec = parseSpec(text('pay'), join(dir, 'slipway.yaml'));
    const gate = spec.pipeline!.stages[1].gates[0];
    assert.equal(gate.kind, 'mocks');
    assert.deepEqual(gate.kind === 'mocks' ? gate.mocks.map((m) => m.name) : [], ['pay']);
    assert.throws(
      () => parseSpec(text('payy'), join(dir, 'slipway.yaml')),
      (err: unknown) =>
        SpecError.is(err) && err.issues.some((i) => i.line === 12 && /no mock "payy" is declared/.test(i.message)),
    );
  });
});

describe('mocks: Swagger 2.0 documents', () => {
  it('a JSON Swagger 2.0 document with a $ref to another file validates requests and answers from its examples', async () => {
    const { OpenApiMock } = await import('../../environments/mocks/openapi');
    const doc = {
      swagger: '2.0',
      info: { title: 'mail', version: '1' },
      basePath: '/v1',
      paths: {
        '/messages': {
          post: {
            parameters: [{ in: 'body', name: 'body', required: true, schema: { $ref: 'defs.json#/Message' } }],
            responses: {
              '202': {
                description: 'queued',
                schema: { type: 'object', properties: { queued: { type: 'boolean' } } },
                examples: { 'application/json': { queued: true } },
              },
            },
          },
        },
        '/messages/{id}': {
          get: {
            parameters: [{ in: 'path', name: 'id', type: 'integer' }],
            responses: { '200': { description: 'one', schema: { $ref: 'defs.json#/Message' } } },
          },
        },
      },
    };
    const defs = {
      Message: {
        type: 'object',
        required: ['to'],
        properties: { to: { type: 'string', format: 'email' }, subject: { type: 'string', maxLength: 10 } },
      },
    };
    const api = await OpenApiMock.load({
      entry: 'mail.json',
      files: { 'mail.json': JSON.stringify(doc), 'defs.json': JSON.stringify(defs) },
    });
    const ok = api.answer(
      req('POST', '/v1/messages', { headers: { 'content-type': 'application/json' }, body: { to: 'a@b.io' } }),
    );
    assert.deepEqual(ok.kind === 'response' ? [ok.response.status, ok.response.body] : ok, [202, { queued: true }]);
    const bad = api.answer(
      req('POST', '/v1/messages', {
        headers: { 'content-type': 'application/json' },
        body: { subject: 'much too long a subject' },
      }),
    );
    assert.deepEqual(bad.kind === 'invalid' ? bad.errors.map((e) => [e.field, e.rule]).sort() : bad, [
      ['body.subject', 'maxLength'],
      ['body.to', 'required'],
    ]);
    const one = api.answer(req('GET', '/v1/messages/7'));
    assert.equal(one.kind === 'response' ? typeof (one.response.body as { to: unknown }).to : one.kind, 'string');
    assert.equal(api.answer(req('GET', '/v1/messages/x')).kind, 'invalid');
  });
});

describe('mocks: size', () => {
  it('a mock whose configuration would not fit in its container env value is a spec error on the mock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-mocks-size-'));
    mkdirSync(join(dir, 'rec'));
    // Random bodies hardly compress: 40 of 6 KB each.
    for (let i = 0; i < 40; i++) {
      const noise = randomBytes(4500).toString('base64');
      writeFileSync(
        join(dir, 'rec', `${i}.json`),
        JSON.stringify({ request: { method: 'GET', path: `/n/${i}` }, response: { status: 200, body: noise } }),
      );
    }
    const text = 'version: 1\nname: t\nservices:\n  web: { image: x }\nmocks:\n  big: { recordings: rec }\n';
    assert.throws(
      () => parseSpec(text, join(dir, 'slipway.yaml')),
      (err: unknown) =>
        SpecError.is(err) &&
        err.issues.some((i) => i.line === 6 && i.field === 'mocks.big' && /KiB compressed/.test(i.message)),
    );
  });
});
