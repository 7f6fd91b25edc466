/**
 * Webview messages are untrusted input: a `__proto__`, `constructor` or `toString` key, or a
 * field inherited from a prototype, never selects a handler, passes a check or reaches a prototype.
 */
import assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage, PROTOCOL_VERSION, type ResponseMessage } from '../../webviews/protocol';
import { answerRequest, Requester } from '../../webviews/rpc';

/** A message as it arrives after JSON or structured cloning: `__proto__` is an own key there. */
const wire = (text: string): unknown => JSON.parse(text);

describe('webview messages: own keys only', () => {
  afterEach(() => {
    // Nothing any case did may have reached Object.prototype.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).method, undefined);
  });

  it('refuses prototype and built-in names as methods', () => {
    for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.equal(parseWebviewMessage({ type: 'command', method, params: {} }), undefined, method);
      assert.equal(parseWebviewMessage({ type: 'request', id: 1, method, params: {} }), undefined, method);
    }
  });

  it('refuses prototype and built-in names as params, even with a valid method', () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const text = `{"type":"command","method":"env/open","params":{"${key}":"web"}}`;
      assert.equal(parseWebviewMessage(wire(text)), undefined, key);
    }
    assert.equal(
      parseWebviewMessage(wire('{"type":"command","method":"env/open","params":{"__proto__":{"polluted":true}}}')),
      undefined,
    );
    // The same message without the key is fine: the refusal is about the key.
    assert.ok(parseWebviewMessage(wire('{"type":"command","method":"env/open","params":{"service":"web"}}')));
  });

  it('does not take envelope fields or required params from a prototype', () => {
    const inherited = Object.create({ type: 'command', method: 'env/open', params: {} }) as object;
    assert.equal(parseWebviewMessage(inherited), undefined);
    const viaProto = wire('{"__proto__":{"type":"command","method":"env/open","params":{}}}');
    assert.equal(parseWebviewMessage(viaProto), undefined);
    // `stage` is required for gates/rerun: one inherited from the params' prototype does not count.
    const params = Object.create({ stage: 'staging' }) as object;
    assert.equal(parseWebviewMessage({ type: 'command', method: 'gates/rerun', params }), undefined);
    assert.ok(parseWebviewMessage({ type: 'command', method: 'gates/rerun', params: { stage: 'staging' } }));
    const request = Object.assign(Object.create({ id: 7 }) as object, {
      type: 'request',
      method: 'env/logs',
      params: { service: 'web' },
    });
    assert.equal(parseWebviewMessage(request), undefined);
    assert.ok(
      parseWebviewMessage({
        type: 'command',
        method: 'webview/ready',
        params: { app: 'dashboard', version: PROTOCOL_VERSION },
      }),
    );
  });

  it('reads host messages from own keys only', () => {
    assert.equal(parseHostMessage(Object.create({ type: 'response', id: 1, result: 1 }) as object), undefined);
    assert.equal(
      parseHostMessage(Object.assign(Object.create({ result: 1 }) as object, { type: 'response', id: 1 })),
      undefined,
    );
    assert.equal(
      parseHostMessage(wire('{"__proto__":{"type":"notification","method":"env/state","params":{}}}')),
      undefined,
    );
    assert.ok(parseHostMessage({ type: 'response', id: 1, result: 1 }));
  });

  it('answers a request for a prototype or built-in name with unknown-method, never calling it', async () => {
    const handlers = { 'env/logs': () => 'lines' };
    for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const posted: ResponseMessage[] = [];
      await answerRequest({ type: 'request', id: 3, method, params: {} }, handlers as never, (r) => posted.push(r));
      assert.equal(posted.length, 1, method);
      assert.deepEqual(
        posted[0],
        { type: 'response', id: 3, error: { message: `Unknown request ${method}.`, reason: 'unknown-method' } },
        method,
      );
    }
  });

  it('settles a request only from a response with its own type and id', async () => {
    const sent: Array<{ id: number }> = [];
    const requester = new Requester((m) => sent.push(m), { timeoutMs: 2000 });
    const answer = requester.request('env/logs', { service: 'web' });
    const id = sent[0].id;
    assert.equal(requester.receive(Object.create({ type: 'response', id, result: 'forged' }) as object), false);
    assert.equal(requester.receive(wire(`{"__proto__":{"type":"response","id":${id},"result":"forged"}}`)), false);
    assert.equal(requester.size, 1);
    assert.equal(requester.receive({ type: 'response', id, result: 'real' }), true);
    assert.equal(await answer, 'real');
  });
});
