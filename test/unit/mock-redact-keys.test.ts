/** Mock request log redaction of credential-like query parameters and JSON keys: case-insensitive, nested, as suffixes, and echoed values. */
import assert from 'node:assert/strict';
import {
  defaultRules,
  isCredentialKey,
  redactExchange,
  redactRequest,
  REDACTED,
} from '../../environments/mocks/redact';
import type { MockRequest } from '../../environments/mocks/types';
import { matchExchange } from '../../environments/mocks/match';

const req = (extra: Partial<MockRequest>): MockRequest => ({
  method: 'POST',
  path: '/oauth/token',
  query: {},
  headers: {},
  ...extra,
});

describe('mocks: credential keys are redacted by default', () => {
  const rules = defaultRules();

  it('hides credential-like query parameters, whatever their case, and keeps the others', () => {
    const out = redactRequest(
      req({
        query: {
          Token: 't-1a2b3c',
          ACCESS_TOKEN: 'at-9z8y7x',
          api_key: 'k-123456',
          ApiKey: 'k-654321',
          password: 'hunter22',
          client_secret: 'cs-abcdef',
          Authorization: 'Basic dXNlcjpwYXNz',
          secret: 's3cr3t!!',
          refresh_token: 'rt-555555',
          page: '2',
          token_type: 'bearer',
        },
      }),
      rules,
    );
    assert.deepEqual(out.query, {
      Token: REDACTED,
      ACCESS_TOKEN: REDACTED,
      api_key: REDACTED,
      ApiKey: REDACTED,
      password: REDACTED,
      client_secret: REDACTED,
      Authorization: REDACTED,
      secret: REDACTED,
      refresh_token: REDACTED,
      page: '2',
      token_type: 'bearer',
    });
  });

  it('hides credential-like JSON keys at any depth, in arrays too, including a whole object under such a key', () => {
    const out = redactRequest(
      req({
        body: {
          grant_type: 'client_credentials',
          Client_Secret: 'cs-abcdef',
          user: { name: 'ann', PASSWORD: 'hunter22', profile: { apiKey: 'k-1', x: 1 } },
          sessions: [
            { accessToken: 'at-1', id: 7 },
            { accessToken: 'at-2', id: 8 },
          ],
          authorization: { scheme: 'Bearer', value: 'zzz' },
          tokens: 3,
        },
      }),
      rules,
    );
    assert.deepEqual(out.body, {
      grant_type: 'client_credentials',
      Client_Secret: REDACTED,
      user: { name: 'ann', PASSWORD: REDACTED, profile: { apiKey: REDACTED, x: 1 } },
      sessions: [
        { accessToken: REDACTED, id: 7 },
        { accessToken: REDACTED, id: 8 },
      ],
      authorization: REDACTED,
      tokens: 3,
    });
  });

  it('hides a credential query value where the response echoes it, and in response JSON keys', () => {
    const out = redactExchange(
      {
        request: req({ query: { api_key: 'k-echoed-42' } }),
        response: {
          status: 200,
          headers: {},
          body: { note: 'called with k-echoed-42', access_token: 'at-new', expires_in: 3600 },
        },
      },
      rules,
    );
    const text = JSON.stringify(out);
    assert.ok(!text.includes('k-echoed-42'), text);
    assert.ok(!text.includes('at-new'), text);
    assert.equal((out.response.body as { expires_in: number }).expires_in, 3600);
  });

  it('takes extra key names from the spec, and a redacted recording still matches the live request', () => {
    const extra = defaultRules({ keys: ['Pin'] });
    assert.ok(isCredentialKey('card_pin', extra));
    assert.ok(!isCredentialKey('card_pin', rules));
    assert.ok(isCredentialKey('x-api-key', rules));
    assert.ok(!isCredentialKey('page', rules));
    const live = req({ query: { password: 'hunter22', user: 'ann' } });
    const recorded = redactExchange({ request: live, response: { status: 200, headers: {} } }, rules);
    assert.equal(recorded.request.query.password, REDACTED);
    assert.ok(matchExchange(recorded, live), 'a recording made with the redaction answers the same request');
  });
});
