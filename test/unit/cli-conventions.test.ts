// The CLI's conventions: one JSON envelope (or a refusal), help <command>, flags anywhere, "did you mean", completion, version, colour.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editDistance, splitCommand, suggestions, valueFlags } from '../../environments/cli/argv';
import { colourFor } from '../../environments/cli/colour';
import { notCounted } from '../../environments/cli/commands/approve';
import { commands } from '../../environments/cli/commands';
import { main } from '../../environments/cli/main';
import { parseOptions } from '../../environments/cli/options';
import { loadSpec } from '../../environments/spec/load';
import { SCHEMA_DIR, checkJsonOutput } from '../cli-json';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'slipway.js');
const SHOP_SPEC = join(ROOT, 'examples', 'shop', 'slipway.yaml');
const ESC = String.fromCharCode(27);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

/** Every command line a user can name: `up`, ..., `data init`, `data check`. */
const everyCommand = Object.entries(commands).flatMap(([name, c]) =>
  c.subcommands ? Object.keys(c.subcommands).map((s) => [name, s]) : [[name]],
);

function builtCli(): string {
  if (!existsSync(CLI))
    throw new Error('these tests run the built CLI (dist/slipway.js): run `node scripts/build.mjs` first');
  return CLI;
}

describe('CLI: one JSON contract', () => {
  it('every command either has --json and a schema under schemas/cli/, or refuses --json with exit 2 and the error envelope', async () => {
    const schemas = new Set(readdirSync(SCHEMA_DIR).map((f) => f.replace('.schema.json', '')));
    for (const words of everyCommand) {
      const cmd = words.length === 1 ? commands[words[0]] : commands[words[0]].subcommands![words[1]];
      if (Object.hasOwn(cmd.options, 'json')) {
        assert.ok(
          schemas.has(words.join('-')),
          `slipway ${words.join(' ')} --json has no schemas/cli/${words.join('-')}.schema.json`,
        );
        continue;
      }
      const r = await run(...words, '--json');
      assert.equal(r.code, 2, `slipway ${words.join(' ')} --json: ${r.err}`);
      const envelope = checkJsonOutput([...words, '--json'], r.out);
      assert.equal(envelope.error?.reason, 'usage');
      assert.match(envelope.error?.message ?? '', /--json is not supported/);
    }
    for (const s of schemas) {
      if (s === 'common' || s === 'event') continue;
      const [name, sub] = s.split('-');
      assert.ok(
        sub ? commands[name]?.subcommands?.[sub] : commands[name],
        `schemas/cli/${s}.schema.json describes no command`,
      );
    }
  });

  it('answers, successes and failures alike, validate against their schemas (real output of the CLI)', async () => {
    const cases: Array<[string[], number, string | null]> = [
      [['version', '--json'], 0, null],
      [['-v', '--json'], 0, null],
      [['--json', 'stauts'], 2, 'usage'],
      [['--json'], 2, 'usage'],
      [['status', '--json', '--spec', join(tmpdir(), 'no-such-spec.yaml')], 1, 'spec-not-found'],
      [['--json', '--spec', join(tmpdir(), 'no-such-spec.yaml'), 'up', '--branch', 'x'], 1, 'spec-not-found'],
      [['up', '--jsno', '--json'], 2, 'usage'],
      [['data', 'check', '--json'], 2, 'usage'],
      [['data', 'chek', '--json'], 2, 'usage'],
      [['status', '--json', '--spec', SHOP_SPEC, '--stage', 'qa'], 2, 'usage'],
      [['help', 'up', '--json'], 2, 'usage'],
    ];
    for (const [argv, code, reason] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, code, `${argv.join(' ')}: ${r.err}`);
      const envelope = checkJsonOutput(argv, r.out);
      assert.equal(envelope.error?.reason ?? null, reason, argv.join(' '));
      if (reason === null)
        assert.equal((envelope.data as { version: string }).version, (await run('version')).out.trim());
    }
  });

  it('a schema refuses output of another shape (the checks can fail)', () => {
    assert.throws(
      () => checkJsonOutput(['version', '--json'], JSON.stringify({ version: '1' })),
      /does not match its schema/,
    );
    assert.throws(
      () => checkJsonOutput(['up', '--json'], JSON.stringify({ data: { env: 'e' }, error: null })),
      /does not match its schema/,
    );
    assert.throws(
      () => checkJsonOutput(['up', '--json'], JSON.stringify({ data: null, error: { reason: 'x', message: 'y' } })),
      /does not match/,
    );
    assert.throws(
      () => checkJsonOutput(['up', '--json', '--events'], `${JSON.stringify({ event: { type: 'step' } })}\n`),
      /line 1 does not match/,
    );
  });
});

describe('CLI: conventions of its peers', () => {
  it('flags may come before the command (and between a command and its subcommand)', async () => {
    const flags = valueFlags(commands);
    assert.deepEqual(splitCommand(['--spec', 'x.yaml', '--json', 'status', '-b', 'main'], flags), {
      name: 'status',
      rest: ['--spec', 'x.yaml', '--json', '-b', 'main'],
    });
    assert.deepEqual(
      splitCommand(['-s', 'up', 'down'], flags),
      { name: 'down', rest: ['-s', 'up'] },
      'a flag value that is a command name stays a value',
    );
    const missing = join(tmpdir(), 'no-such-spec.yaml');
    const before = await run('--spec', missing, 'status');
    const after = await run('status', '--spec', missing);
    assert.equal(before.code, 1);
    assert.equal(before.err, after.err);
    assert.equal((await run('data', '--help')).code, 0);
    assert.equal((await run('data', '--json', 'check')).code, 2);
  });

  it('a misspelt command, subcommand or option gets "did you mean"', async () => {
    assert.equal(editDistance('stauts', 'status'), 1, 'two letters swapped count as one edit');
    assert.deepEqual(suggestions('promte', Object.keys(commands)), ['promote']);
    assert.deepEqual(suggestions('zzzzzz', Object.keys(commands)), []);
    const typo = await run('stauts');
    assert.equal(typo.code, 2);
    assert.match(
      typo.err,
      /^slipway: unknown command "stauts"\n {2}Did you mean `slipway status` or `slipway state`\?/,
    );
    assert.match((await run('data', 'chek')).err, /Did you mean `slipway data check`\?/);
    assert.match((await run('up', '--jsno')).err, /unknown option --jsno \(did you mean --json\?\)/);
    assert.doesNotMatch((await run('frobnicate')).err, /did you mean/i);
  });

  it("slipway help <command> prints that command's help; version, -v and --version print the version", async () => {
    const help = await run('help', 'logs');
    assert.equal(help.code, 0);
    assert.equal(help.out, (await run('logs', '--help')).out);
    assert.match(help.out, /Usage: slipway logs \[NAME\]/);
    assert.match((await run('help', 'data', 'init')).out, /Usage: slipway data init --source URL/);
    assert.match((await run('help', 'data')).out, /Subcommands:/);
    const wrong = await run('help', 'promte');
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /Did you mean `slipway help promote`\?/);
    const version = (await run('version')).out;
    assert.match(version, /^\d+\.\d+\.\d+\n$/);
    assert.equal((await run('-v')).out, version);
    assert.equal((await run('--version')).out, version);
  });

  it('logs web is logs --service web; status, url and logs take --stage; down and rollback take --yes', () => {
    assert.equal(parseOptions('logs', commands.logs.options, ['web', '-f'], commands.logs.positional).service, 'web');
    assert.throws(
      () => parseOptions('logs', commands.logs.options, ['web', 'api'], commands.logs.positional),
      /unexpected argument "api"/,
    );
    assert.throws(
      () => parseOptions('logs', commands.logs.options, ['web', '--service', 'api'], commands.logs.positional),
      /given twice/,
    );
    assert.throws(
      () => parseOptions('logs', commands.logs.options, [], commands.logs.positional),
      /--service NAME is required/,
    );
    for (const name of ['status', 'url', 'logs']) {
      const service = name === 'logs' ? ['web'] : [];
      assert.equal(
        parseOptions(name, commands[name].options, [...service, '--stage', 'staging'], commands[name].positional).stage,
        'staging',
      );
      assert.throws(
        () =>
          parseOptions(
            name,
            commands[name].options,
            [...service, '--stage', 'staging', '--branch', 'x'],
            commands[name].positional,
          ),
        /cannot be used together/,
      );
    }
    assert.equal(parseOptions('down', commands.down.options, ['-y', '--stage', 'staging']).yes, true);
    assert.equal(parseOptions('rollback', commands.rollback.options, ['--yes', '--stage', 'staging']).yes, true);
  });

  it('approve says when an approval will not count: the author approving, or a stage with no approval gate', async () => {
    const spec = await loadSpec(SHOP_SPEC);
    assert.match(
      notCounted(spec, 'staging', 'Alice@Example.com', 'alice@example.com') ?? '',
      /is the author of the change, and the author's own approval does not count/,
    );
    assert.equal(notCounted(spec, 'staging', 'bob@example.com', 'alice@example.com'), undefined);
    const noGate = {
      ...spec,
      pipeline: {
        stages: [
          { name: 'preview', gates: [] },
          { name: 'qa', gates: [] },
        ],
      },
    };
    assert.match(notCounted(noGate, 'qa', 'bob@example.com', undefined) ?? '', /stage qa has no approval gate/);
  });

  it('colour only on a terminal: none in a pipe, none with NO_COLOR, none with TERM=dumb', function () {
    this.timeout(60_000);
    assert.equal(colourFor({ isTTY: true }, {}), true);
    assert.equal(colourFor({ isTTY: false }, {}), false);
    assert.equal(colourFor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colourFor({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
    assert.equal(colourFor({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(colourFor({ isTTY: false }, { FORCE_COLOR: '1' }), true);

    const cli = builtCli();
    const env = { ...process.env, NO_COLOR: '', FORCE_COLOR: '', TERM: 'xterm-256color' };
    // A real pseudo-terminal (util-linux `script`): the error prefix is red there ...
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${cli} stauts`, '/dev/null'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(tty.error, undefined, 'util-linux `script` must be installed to give the CLI a terminal');
    assert.ok(tty.stdout.includes(`${ESC}[31mslipway:${ESC}[39m unknown command`), JSON.stringify(tty.stdout));
    // ... and plain with NO_COLOR, and in a pipe.
    const noColour = spawnSync('script', ['-qec', `${process.execPath} ${cli} stauts`, '/dev/null'], {
      env: { ...env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    assert.match(noColour.stdout, /slipway: unknown command/);
    assert.ok(!noColour.stdout.includes(ESC), JSON.stringify(noColour.stdout));
    for (const argv of [['stauts'], ['--help'], ['help', 'up'], ['version']]) {
      const piped = spawnSync(process.execPath, [cli, ...argv], { env, encoding: 'utf8' });
      assert.ok(!(piped.stdout + piped.stderr).includes(ESC), argv.join(' '));
    }
  });

  it('asks on a terminal before rolling back a stage (no answer: nothing changes, exit 130); --yes and a pipe never ask', function () {
    this.timeout(60_000);
    const cli = builtCli();
    const home = mkdtempSync(join(tmpdir(), 'slipway-confirm-'));
    try {
      const env = { ...process.env, SLIPWAY_HOME: home, NO_COLOR: '1' };
      const line = (extra: string) =>
        `${process.execPath} ${cli} rollback --stage staging --spec ${SHOP_SPEC} --as ada@example.com${extra}`;
      const declined = spawnSync('script', ['-qec', line(''), '/dev/null'], { env, input: 'n\n', encoding: 'utf8' });
      assert.match(declined.stdout, /Roll stage staging of shop back to its previous release\? \[y\/N\]/);
      assert.match(declined.stdout, /Not confirmed: nothing was changed/);
      assert.equal(declined.status, 130);
      const yes = spawnSync('script', ['-qec', line(' --yes'), '/dev/null'], { env, encoding: 'utf8' });
      assert.doesNotMatch(yes.stdout, /\[y\/N\]/);
      assert.match(yes.stdout, /no earlier release to roll back to/, 'with --yes it went straight to the rollback');
      const piped = spawnSync(process.execPath, line('').split(' ').slice(1), { env, input: '', encoding: 'utf8' });
      assert.doesNotMatch(piped.stderr, /\[y\/N\]/);
      assert.match(piped.stderr, /no earlier release to roll back to/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('slipway completion bash is valid bash and completes commands, subcommands and flags when sourced', function () {
    this.timeout(20_000);
    const cli = builtCli();
    const script = execFileSync(process.execPath, [cli, 'completion', 'bash'], { encoding: 'utf8' });
    const file = join(tmpdir(), `slipway-completion-${process.pid}.bash`);
    writeFileSync(file, script);
    execFileSync('bash', ['-n', file]);
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _slipway; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'x',
          file,
          'slipway',
          ...words,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
    assert.deepEqual(complete('sta'), ['status', 'state']);
    assert.deepEqual(complete('state', 'mi'), ['migrate']);
    assert.deepEqual(complete('data', 'ch'), ['check']);
    assert.deepEqual(complete('logs', '--fo'), ['--follow']);
    assert.deepEqual(complete('--json', 'promote', '--t'), ['--to']);
    assert.ok(complete('help', 'ro').includes('rollback'));
    for (const shell of ['zsh', 'fish']) {
      const text = execFileSync(process.execPath, [cli, 'completion', shell], { encoding: 'utf8' });
      assert.match(text, /slipway/);
      assert.ok(text.includes('keep-on-failure'), `${shell} completion lists the flags of the option tables`);
    }
    const bad = spawnSync(process.execPath, [cli, 'completion', 'tcsh'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
  });
});
