'use strict';
// The Slipway example shop: a small web app backed by PostgreSQL.
//
//   GET  /               HTML page listing the products (GREETING shown in the header)
//   GET  /api/products   the products as JSON
//   POST /api/products   {"name": "...", "priceCents": 1234} inserts one product
//   POST /api/checkout   {"amount": 1200, "currency": "eur"} charges it through the payments API
//                        (PAYMENTS_URL, a Slipway mock in previews) and answers with its status and body
//   GET  /api/charges/ID the payments API's charge ID
//   GET  /healthz        200 {"status":"ok"} when the schema is ready and SELECT 1 succeeds,
//                        else 503 {"status":"unavailable","reason":"..."}
//
// Environment: PORT (default 8080), HOST (default 0.0.0.0), DATABASE_URL, GREETING, PAYMENTS_URL.
// The server listens at once; the schema is created (and seeded with three products when the
// table is empty) as soon as the database answers, retrying with backoff (~30 s of quick
// retries, then every 10 s) so that a slow database never makes the container crash-loop.
// One log line per request; DATABASE_URL and its password are never logged or returned.
// SIGTERM/SIGINT: stop accepting connections, finish in-flight requests, close the pool, exit.

const http = require('node:http');
const { Pool } = require('pg');

const PORT = Number.parseInt(process.env.PORT || '8080', 10);
const HOST = process.env.HOST || '0.0.0.0';
const DATABASE_URL = process.env.DATABASE_URL || '';
const GREETING = process.env.GREETING || '';
const PAYMENTS_URL = (process.env.PAYMENTS_URL || '').replace(/\/+$/, '');
const MAX_BODY_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// Secrets that must never appear in a log line or a response: the URL and its password
// (raw and URL-decoded).
const secrets = (() => {
  const found = [];
  if (DATABASE_URL) {
    found.push(DATABASE_URL);
    try {
      const { password } = new URL(DATABASE_URL);
      if (password) {
        found.push(password);
        try {
          found.push(decodeURIComponent(password));
        } catch {
          /* keep the raw form */
        }
      }
    } catch {
      /* not a URL: only the whole string is hidden */
    }
  }
  return found.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
})();

function redact(text) {
  let out = String(text);
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function reasonOf(err) {
  return redact((err && (err.message || err.code)) || String(err));
}

// ---------------------------------------------------------------------------------------
// Database

const pool = DATABASE_URL
  ? new Pool({
      connectionString: DATABASE_URL,
      max: 5,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      query_timeout: 10_000,
    })
  : null;

// An idle client losing its connection (database restart) must not crash the process.
if (pool) pool.on('error', (err) => log(`database: idle connection error: ${reasonOf(err)}`));

const SEED = [
  ['Teak deck brush', 1850],
  ['Brass cleat', 2400],
  ['Rope fender', 3975],
];

const state = {
  ready: false,
  lastError: DATABASE_URL ? 'not connected yet' : 'DATABASE_URL is not set',
  stopping: false,
};

// Create the table and seed it, once, even when several replicas start together.
async function initSchema() {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('slipway-shop-schema'))");
    await client.query(`CREATE TABLE IF NOT EXISTS products (
      id          serial PRIMARY KEY,
      name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      price_cents integer NOT NULL CHECK (price_cents >= 0),
      created_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query('SELECT count(*)::int AS n FROM products');
    if (rows[0].n === 0) {
      for (const [name, priceCents] of SEED) {
        await client.query('INSERT INTO products (name, price_cents) VALUES ($1, $2)', [name, priceCents]);
      }
      log(`database: seeded ${SEED.length} products`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

// Retry with exponential backoff (0.5 s doubling, capped at 5 s) for ~30 s, then every 10 s.
async function initWithRetry() {
  if (!pool) {
    log('database: DATABASE_URL is not set; /healthz answers 503 until it is');
    return;
  }
  const started = Date.now();
  let delay = 500;
  let warnedSlow = false;
  for (let attempt = 1; !state.stopping; attempt++) {
    try {
      await initSchema();
      state.ready = true;
      state.lastError = '';
      log(`database: schema ready (attempt ${attempt})`);
      return;
    } catch (err) {
      state.lastError = reasonOf(err);
      const elapsed = Date.now() - started;
      if (elapsed < 30_000) {
        log(`database: not ready (attempt ${attempt}): ${state.lastError}; retrying in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      } else {
        if (!warnedSlow) {
          log('database: still unreachable after 30 s; retrying every 10 s (the server keeps running)');
          warnedSlow = true;
        }
        log(`database: not ready (attempt ${attempt}): ${state.lastError}`);
        await sleep(10_000);
      }
    }
  }
}

function toProduct(row) {
  return { id: row.id, name: row.name, priceCents: row.price_cents, createdAt: row.created_at };
}

async function listProducts() {
  const { rows } = await pool.query('SELECT id, name, price_cents, created_at FROM products ORDER BY id');
  return rows.map(toProduct);
}

// ---------------------------------------------------------------------------------------
// HTTP

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function formatPrice(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

function send(res, status, contentType, body, extraHeaders = {}) {
  const payload = Buffer.from(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': payload.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(state.stopping ? { Connection: 'close' } : {}),
    ...extraHeaders,
  });
  res.end(payload);
}

function sendJson(res, status, value, extraHeaders) {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, extraHeaders);
}

function renderPage(products, error) {
  const rows = products
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.name)}</td><td class="price">${escapeHtml(formatPrice(p.priceCents))}</td></tr>`,
    )
    .join('\n        ');
  const body = error
    ? `<p class="error">The product list is unavailable: ${escapeHtml(error)}</p>`
    : `<table>
      <thead><tr><th>#</th><th>Product</th><th class="price">Price</th></tr></thead>
      <tbody>
        ${rows || '<tr><td colspan="3">No products yet.</td></tr>'}
      </tbody>
    </table>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Shop</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; }
    table { border-collapse: collapse; width: 100%; }
    th, td { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; }
    .price { text-align: right; }
    .error { color: #a00; }
  </style>
</head>
<body>
  <header>
    <h1>Shop</h1>
    ${GREETING ? `<p class="greeting">${escapeHtml(GREETING)}</p>` : ''}
  </header>
  <main>
    ${body}
  </main>
  <footer><p>JSON: <code>GET /api/products</code>, <code>POST /api/products</code></p></footer>
</body>
</html>
`;
}

function readJsonBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop buffering; the rest of the body is drained and discarded.
        reject(new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function validateProduct(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'expected a JSON object {"name": string, "priceCents": integer}');
  }
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name.length < 1 || name.length > 200) {
    throw new HttpError(400, '"name" must be a non-empty string of at most 200 characters');
  }
  const { priceCents } = body;
  if (!Number.isSafeInteger(priceCents) || priceCents < 0 || priceCents > 2_147_483_647) {
    throw new HttpError(400, '"priceCents" must be a non-negative integer');
  }
  return { name, priceCents };
}

function requireDatabase() {
  if (!state.ready) throw new HttpError(503, `database not ready: ${state.lastError}`);
}

async function healthz(res) {
  if (state.stopping) return sendJson(res, 503, { status: 'unavailable', reason: 'shutting down' });
  if (!state.ready) {
    return sendJson(res, 503, { status: 'unavailable', reason: `database not ready: ${state.lastError}` });
  }
  try {
    await pool.query('SELECT 1');
    return sendJson(res, 200, { status: 'ok' });
  } catch (err) {
    return sendJson(res, 503, { status: 'unavailable', reason: `database query failed: ${reasonOf(err)}` });
  }
}

async function route(req, res, path) {
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (path === '/healthz') {
    if (method !== 'GET') throw new HttpError(405, 'use GET');
    return healthz(res);
  }
  if (path === '/') {
    if (method !== 'GET') throw new HttpError(405, 'use GET');
    let products = [];
    let error = '';
    try {
      requireDatabase();
      products = await listProducts();
    } catch (err) {
      error = reasonOf(err);
    }
    return send(res, error ? 503 : 200, 'text/html; charset=utf-8', renderPage(products, error), {
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
  }
  if (path === '/api/products') {
    if (method === 'GET') {
      requireDatabase();
      return sendJson(res, 200, await listProducts());
    }
    if (method === 'POST') {
      const { name, priceCents } = validateProduct(await readJsonBody(req));
      requireDatabase();
      const { rows } = await pool.query(
        'INSERT INTO products (name, price_cents) VALUES ($1, $2) RETURNING id, name, price_cents, created_at',
        [name, priceCents],
      );
      const product = toProduct(rows[0]);
      return sendJson(res, 201, product, { Location: `/api/products/${product.id}` });
    }
    throw new HttpError(405, 'use GET or POST');
  }
  if (path === '/api/checkout' || path.startsWith('/api/charges/')) {
    if (!PAYMENTS_URL) throw new HttpError(503, 'PAYMENTS_URL is not set');
    const post = path === '/api/checkout';
    if (method !== (post ? 'POST' : 'GET')) throw new HttpError(405, post ? 'use POST' : 'use GET');
    const target = post ? '/charges' : `/charges/${encodeURIComponent(path.slice('/api/charges/'.length))}`;
    const body = post ? JSON.stringify(await readJsonBody(req)) : undefined;
    let answer;
    try {
      answer = await fetch(PAYMENTS_URL + target, {
        method: post ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new HttpError(502, `payments API unreachable: ${reasonOf(err)}`);
    }
    const text = await answer.text();
    log(`payments: ${post ? 'POST' : 'GET'} ${target} -> ${answer.status}`);
    return send(res, answer.status, answer.headers.get('content-type') || 'application/json', text || '{}');
  }
  throw new HttpError(404, 'not found');
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const path = (req.url || '/').split('?')[0];
  let logged = false;
  const logLine = () => {
    if (logged) return;
    logged = true;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const status = res.writableFinished ? res.statusCode : `${res.statusCode} (aborted)`;
    log(`${req.method} ${redact(path)} ${status} ${ms.toFixed(1)}ms`);
  };
  res.on('finish', logLine);
  res.on('close', logLine);

  route(req, res, path).catch((err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      const headers = err.status === 405 ? { Allow: path === '/api/products' ? 'GET, HEAD, POST' : 'GET, HEAD' } : {};
      sendJson(res, err.status, { error: redact(err.message) }, headers);
      return;
    }
    log(`error: ${req.method} ${redact(path)}: ${reasonOf(err)}`);
    sendJson(res, 500, { error: 'internal error' });
  });
});
server.keepAliveTimeout = 5_000;

function shutdown(signal) {
  if (state.stopping) return;
  state.stopping = true;
  log(`${signal} received: shutting down`);
  const force = setTimeout(() => {
    log('shutdown: requests still running after 10 s; exiting');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  force.unref();
  server.close(async () => {
    try {
      if (pool) await pool.end();
    } catch (err) {
      log(`shutdown: closing the database pool failed: ${reasonOf(err)}`);
    }
    log('shutdown complete');
    process.exit(0);
  });
  // Keep-alive connections with no request in flight would hold server.close() open.
  server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.listen(PORT, HOST, () => {
  log(`shop listening on http://${HOST}:${PORT}`);
  initWithRetry().catch((err) => log(`database: initialisation stopped: ${reasonOf(err)}`));
});
