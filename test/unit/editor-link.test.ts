/** The reviewer's editor link: what `slipway share` prints is what the extension's UriHandler opens, and a bad link is refused saying why. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EDITOR_LINK_AUTHORITY, editorLink, parseEditorLink } from '../../environments/share/editor-link';

/** Path and query as VS Code's Uri.parse hands them to a UriHandler (the query still percent-encoded). */
function handed(link: string): [string, string] {
  const url = new URL(link);
  assert.equal(url.protocol, 'vscode:');
  assert.equal(url.host, 'slipway.slipway');
  return [url.pathname, url.search.replace(/^\?/, '')];
}

describe('editor links (vscode://slipway.slipway/open)', () => {
  it('round-trips project and branch, including slashes, spaces, ampersands and non-ASCII', () => {
    for (const target of [
      { project: 'shop', branch: 'main' },
      { project: 'shop', branch: 'feature/pay & ship' },
      { project: 'Ünï shop', branch: 'fix/ü?x=1#frag' },
    ]) {
      const link = editorLink(target);
      assert.match(link, /^vscode:\/\/slipway\.slipway\/open\?project=[^&]+&branch=[^&]+$/);
      assert.deepEqual(parseEditorLink(...handed(link)), target);
    }
  });

  it('reads a link written by hand, with + for spaces and the keys in any order', () => {
    assert.deepEqual(parseEditorLink('/open', 'branch=feature%2Fx&project=my+shop'), {
      project: 'my shop',
      branch: 'feature/x',
    });
  });

  it('refuses a link with another path, a missing, empty, repeated or malformed value, saying which', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['/dashboard', 'project=a&branch=b', /path is "\/dashboard", not \/open/],
      ['/open', 'project=a', /names no branch/],
      ['/open', 'project=&branch=b', /names no project/],
      ['/open', 'project=a&project=b&branch=c', /names project 2 times/],
      ['/open', 'project=a&branch=%E0%A4%A', /branch is not valid percent-encoding/],
      ['/open', `project=a&branch=${'x'.repeat(201)}`, /longer than 200 characters/],
      ['/open', 'project=a&branch=b%0Aevil', /branch holds control characters/],
    ];
    for (const [path, query, why] of cases) {
      const r = parseEditorLink(path, query);
      assert.ok('error' in r, `${path}?${query} is refused`);
      assert.match(r.error, why);
    }
  });

  it("names the extension's own id, and the extension activates on a link", () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      publisher: string;
      name: string;
      activationEvents: string[];
    };
    assert.equal(EDITOR_LINK_AUTHORITY, `${manifest.publisher}.${manifest.name}`);
    assert.ok(manifest.activationEvents.includes('onUri'));
  });
});
