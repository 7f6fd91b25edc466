// `npm run demo`: previews the embedded example (examples/shop) with the real CLI, checks it
// answers, prints its URL, status, drift and the gates of promoting it to staging, then tears
// it down (pass `-- --keep` to keep it).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const branchArg = process.argv.find((a) => a.startsWith('--branch='));
const branch = branchArg ? branchArg.slice('--branch='.length) : 'demo';
const spec = join(root, 'examples', 'shop', 'slipway.yaml');
const cli = join(root, 'dist', 'slipway.js');

let created = false;

function slipway(args, { capture = false, ok = [0] } = {}) {
  const target = args[0] === 'gates' ? ['--from', branch] : ['--branch', branch];
  const r = spawnSync(process.execPath, [cli, ...args, '--spec', spec, ...target], {
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (!ok.includes(r.status)) {
    console.error(`\nslipway ${args[0]} failed (exit ${r.status}).`);
    // Nothing is left behind by a failed demo unless --keep asks for it.
    if (created && !keep && args[0] !== 'down') {
      console.error('Tearing the preview down.');
      spawnSync(process.execPath, [cli, 'down', '--spec', spec, '--branch', branch], { stdio: 'inherit' });
    }
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

console.log(`\n== slipway up: previewing examples/shop on branch "${branch}"\n`);
created = true; // a failed up removes what it made; a later failure tears the preview down
slipway(['up']);
const { data: status } = JSON.parse(slipway(['status', '--json'], { capture: true }));
const url = status.urls.web;
const res = await fetch(`${url}/healthz`);
const products = await (await fetch(`${url}/api/products`)).json();
console.log(`\n== ${url}/healthz answered ${res.status}; the shop lists ${products.length} products`);
console.log(
  `== status: ${status.status}; services: ${status.services.map((s) => `${s.service} ${s.state}${s.health !== 'none' ? ` (${s.health})` : ''}`).join(', ')}`,
);
console.log('\n== slipway drift: declared vs running (exit 3 would mean a difference)\n');
slipway(['drift'], { ok: [0, 3] });
console.log('\n== slipway gates --to staging: what promoting this preview would need\n');
// Exit 4: promotion is blocked until someone signs an approval (slipway approve), as staging asks.
slipway(['gates', '--to', 'staging', '--as', 'demo@slipway.dev'], { ok: [0, 1, 4] });
if (res.status !== 200) process.exitCode = 1;
if (keep) {
  console.log(`\n   Open the preview: ${url}\n`);
  console.log(`Kept. Tear it down with: npx slipway down --spec examples/shop/slipway.yaml --branch ${branch}`);
} else {
  const answered = res.status === 200 ? `answered at ${url}` : `at ${url} answered ${res.status}, not 200`;
  console.log(`\n   The preview ${answered}; it is torn down now (npm run demo -- --keep leaves it running).\n`);
  console.log('== slipway down\n');
  slipway(['down']);
}
