/**
 * The CLI's option tables and exit-code contract without any engine: parsing, usage errors
 * (exit 2, one line, naming the option), conflicting pairs, help, stage names, and the one
 * reason-to-exit-code mapping.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SlipwayError, type SlipwayErrorReason } from '../../environments/errors';
import { commands } from '../../environments/cli/commands';
import { checkBranch, checkStage, asSlipwayError, type Context } from '../../environments/cli/context';
import { EXIT, EXIT_TABLE, exitCodeFor } from '../../environments/cli/exit';
import { main, mainHelp } from '../../environments/cli/main';
import { commandHelp, conflictPairs, parseOptions } from '../../environments/cli/options';
import { loadSpec } from '../../environments/spec/load';
import { maskedUrl, sourceError, sourceUrlProblem, withoutPassword } from '../../environments/data/source';

const SHOP_SPEC = join(__dirname, '..', '..', 'examples', 'shop', 'slipway.yaml');

/** The usage error `fn` throws; fails if it throws anything else or nothing. */
function usage(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (err) {
    assert.ok(SlipwayError.is(err, 'usage'), `a usage error, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err;
  }
  assert.fail('no usage error');
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('CLI option tables', () => {
  it('parse values, shorts and defaults', () => {
    const v = parseOptions('logs', commands.logs.options, ['-s', 'x.yaml', '--service', 'web', '-f']);
    assert.deepEqual(v, {
      spec: 'x.yaml',
      service: 'web',
      follow: true,
      tail: '100',
      json: false,
      events: false,
      verbose: false,
      timings: false,
      help: false,
    });
    assert.equal(parseOptions('up', commands.up.options, ['--keep-on-failure'])['keep-on-failure'], true);
    assert.equal(parseOptions('up', commands.up.options, [])['keep-on-failure'], false);
  });

  it('refuse an unknown option, a missing value, a value for a flag and a positional, naming each and the help', () => {
    assert.match(
      usage(() => parseOptions('up', commands.up.options, ['--bogus'])).message,
      /^unknown option --bogus; see `slipway up --help`$/,
    );
    assert.match(
      usage(() => parseOptions('up', commands.up.options, ['--spec'])).message,
      /^--spec needs a value \(FILE\)/,
    );
    assert.match(
      usage(() => parseOptions('up', commands.up.options, ['--spec', '--json'])).message,
      /^--spec needs a value/,
    );
    assert.match(
      usage(() => parseOptions('up', commands.up.options, ['--branch='])).message,
      /^--branch needs a value/,
    );
    assert.match(
      usage(() => parseOptions('up', commands.up.options, ['--json=yes'])).message,
      /^--json takes no value/,
    );
    assert.match(
      usage(() => parseOptions('status', commands.status.options, ['main'])).message,
      /^unexpected argument "main"/,
    );
    assert.match(
      usage(() => parseOptions('status', commands.status.options, ['--', 'main'])).message,
      /^unexpected argument "main"/,
    );
  });

  it('refuse a missing required option', () => {
    for (const [cmd, option] of [
      ['logs', '--service NAME'],
      ['restart', '--service NAME'],
      ['gates', '--to STAGE'],
      ['promote', '--to STAGE'],
      ['approve', '--to STAGE'],
      ['rollback', '--stage STAGE'],
    ]) {
      assert.equal(
        usage(() => parseOptions(cmd, commands[cmd].options, [])).message,
        `${option} is required; see \`slipway ${cmd} --help\``,
      );
    }
  });

  it('refuse every declared conflicting pair, whichever order they come in', () => {
    const pairs: Array<[string, string[]]> = [
      ['drift', ['--reapply', '--accept']],
      ['drift', ['--stage', 'staging', '--branch', 'x']],
      ['drift', ['--watch', '--reapply']],
      ['drift', ['--watch', '--accept']],
      ['drift', ['--watch', '--resource', 'web']],
      ['down', ['--stage', 'staging', '--branch', 'x']],
      ['down', ['--mine', '--branch', 'x']],
      ['down', ['--mine', '--stage', 'staging']],
      ['share', ['--revoke', '--service', 'web']],
      ['gates', ['--to', 'staging', '--stored', '--as', 'a@b']],
    ];
    for (const [cmd, args] of pairs) {
      assert.match(
        usage(() => parseOptions(cmd, commands[cmd].options, args)).message,
        /^--[a-z]+ and --[a-z]+ cannot be used together; see /,
        args.join(' '),
      );
      const reversed = [...args.slice(args.length / 2), ...args.slice(0, args.length / 2)];
      if (args.length % 2 === 0 && args.length > 2) usage(() => parseOptions(cmd, commands[cmd].options, reversed));
    }
    // With --all, --spec names only the workspace whose settings give the quota limits.
    assert.equal(parseOptions('list', commands.list.options, ['--all', '--spec', 'x.yaml']).all, true);
  });

  it('refuse an option without the one it needs', () => {
    assert.match(
      usage(() => parseOptions('drift', commands.drift.options, ['--resource', 'web'])).message,
      /--resource goes with --reapply or --accept/,
    );
    assert.match(
      usage(() => parseOptions('drift', commands.drift.options, ['--interval', '5s'])).message,
      /--interval goes with --watch/,
    );
    assert.equal(parseOptions('drift', commands.drift.options, ['--reapply', '--resource', 'web']).resource, 'web');
  });

  it('--help wins over everything else on the line, and lists options, conflicts and the exit codes', () => {
    assert.equal(parseOptions('drift', commands.drift.options, ['--reapply', '--accept', '--help']).help, true);
    for (const [name, cmd] of Object.entries(commands)) {
      const help = commandHelp(name, cmd.summary, cmd.options);
      for (const option of Object.keys(cmd.options))
        assert.match(help, new RegExp(`--${option}\\b`), `${name} --help shows --${option}`);
      for (const [a, b] of conflictPairs(cmd.options))
        assert.ok(help.includes(`--${a} with --${b}`), `${name} --help shows --${a} with --${b}`);
      assert.match(help, /Exit codes: see `slipway --help`/);
    }
  });
});

describe('CLI exit codes', () => {
  it('map each reason to one code in one place', () => {
    const cases: Array<[SlipwayErrorReason, number]> = [
      ['usage', 2],
      ['gates-failed', 4],
      ['quota-exceeded', 4],
      ['policy-refused', 4],
      ['masking-unsafe', 4],
      ['masking-policy-invalid', 1],
      ['not-found', 1],
      ['spec-invalid', 1],
      ['docker-unavailable', 1],
      ['operation-failed', 1],
    ];
    for (const [reason, code] of cases) assert.equal(exitCodeFor(reason), code, reason);
    assert.equal(exitCodeFor('operation-cancelled'), 130);
    assert.equal(exitCodeFor('operation-cancelled', 'SIGINT'), 130);
    assert.equal(exitCodeFor('operation-cancelled', 'SIGTERM'), 143);
    assert.equal(exitCodeFor('operation-cancelled', 'SIGHUP'), 129);
    assert.deepEqual(
      EXIT_TABLE.map(([c]) => c),
      [0, 1, 2, 3, 4, 130, 143, 129],
    );
    assert.equal(EXIT.drift, 3);
  });

  it('`slipway --help` shows the table; no command is a usage error (2)', async () => {
    const help = mainHelp();
    for (const [code, what] of EXIT_TABLE)
      assert.ok(help.includes(`${String(code).padStart(3)}  ${what}`), `${code} in --help`);
    assert.equal((await run('--help')).code, 0);
    const none = await run();
    assert.equal(none.code, 2);
  });

  it('usage errors exit 2 with one line naming the command and its help', async () => {
    for (const argv of [
      ['drift', '--nope'],
      ['up', '--spec'],
      ['drift', '--reapply', '--accept'],
      ['status', 'extra'],
      ['logs'],
    ]) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.startsWith(`slipway ${argv[0]}: `), r.err);
      assert.ok(r.err.includes(`see \`slipway ${argv[0]} --help\``), r.err);
      assert.equal(r.out, '');
    }
    const unknown = await run('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^slipway: unknown command "frobnicate"\n {2}See `slipway --help` for the list\.\n$/);
    assert.equal((await run('toString')).code, 2, 'an Object.prototype name is not a command');
  });

  it('a bad stage name or a stage as a branch exits 2 naming it and the valid stages, before any engine is asked', async () => {
    for (const argv of [
      ['drift', '--stage', '../../x'],
      ['down', '--stage', 'Staging'],
      ['rollback', '--stage', 'preview'],
      ['gates', '--to', 'nope'],
      ['history', '--stage', 'staging/../x'],
    ]) {
      const r = await run(...argv, '--spec', SHOP_SPEC);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.ok(r.err.includes(JSON.stringify(argv[2])), r.err);
      assert.match(r.err, /its stages are staging, production; see `slipway \w+ --help`/);
    }
    for (const argv of [
      ['up', '--branch', 'stage:../../x'],
      ['status', '--branch', 'stage:staging'],
      ['promote', '--from', 'stage:x', '--to', 'staging'],
    ]) {
      const r = await run(...argv, '--spec', SHOP_SPEC);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /names a pipeline stage, not a branch/);
    }
  });

  it('stage and branch checks', async () => {
    const spec = await loadSpec(SHOP_SPEC);
    const ctx = { command: 'drift' } as Context;
    assert.equal(checkStage(ctx, spec, 'staging'), 'staging');
    assert.match(
      usage(() => checkStage(ctx, spec, 'qa')).message,
      /--stage "qa" is not a stage of .*slipway\.yaml: its stages are staging, production/,
    );
    assert.equal(checkBranch(ctx, 'feature/stage:x'), 'feature/stage:x');
    usage(() => checkBranch(ctx, 'stage:x'));
  });

  it('errors from a Docker Engine become typed errors with a hint, never a bare stack', () => {
    const refused = asSlipwayError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2375'), { code: 'ECONNREFUSED' }),
    );
    assert.equal(refused.reason, 'docker-unavailable');
    assert.match(refused.hint ?? '', /DOCKER_HOST/);
    const answered = asSlipwayError(
      Object.assign(new Error('(HTTP code 404) no such image'), {
        statusCode: 404,
        json: { message: 'No such image: slipway/shop-web:x' },
      }),
    );
    assert.equal(answered.reason, 'operation-failed');
    assert.match(answered.message, /HTTP 404\): No such image: slipway\/shop-web:x/);
    assert.ok(answered.hint);
    const typed = new SlipwayError('gates-failed', 'no');
    assert.equal(asSlipwayError(typed), typed);
  });
});

describe('slipway data: subcommands and the --source URL', () => {
  it('`slipway data` lists its subcommands (2 without one, 0 with --help); each has its own --help and options', async () => {
    assert.match(mainHelp(), /^ {2}data {7}Masked production data/m);
    const bare = await run('data');
    assert.equal(bare.code, 2);
    assert.match(bare.out, /^ {2}init {3}Draft a masking policy/m);
    assert.match(bare.out, /^ {2}check {2}Check a masking policy/m);
    assert.equal((await run('data', '--help')).code, 0);
    assert.match(bare.out, /^ {2}seed {3}Re-seed a running environment's database/m);
    const unknown = await run('data', 'sow');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^slipway: unknown subcommand "sow" of slipway data\n/);
    const help = await run('data', 'check', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: slipway data check --source URL --policy FILE \[--json\]/);
    const missing = await run('data', 'check', '--source', 'postgres://u@h/db');
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'slipway data check: --policy FILE is required; see `slipway data check --help`\n');
    const subs = commands.data.subcommands ?? {};
    assert.deepEqual(Object.keys(subs), ['init', 'check', 'seed', 'sync']);
    assert.equal(parseOptions('data seed', subs.seed.options, ['--database', 'db', '-p', 'm.yaml']).database, 'db');
    assert.equal(
      parseOptions('data init', subs.init.options, ['--source', 'x', '-o', 'm.yaml', '--json']).out,
      'm.yaml',
    );
    assert.equal(
      parseOptions('data check', subs.check.options, ['--source', 'x', '-p', 'm.yaml', '--json']).json,
      true,
    );
    assert.match(
      usage(() => parseOptions('data init', subs.init.options, ['--source', 'x', '--policy', 'p.yaml'])).message,
      /^unknown option --policy/,
    );
    assert.match(
      usage(() => parseOptions('data init', subs.init.options, [])).message,
      /^--source URL is required; see `slipway data init --help`$/,
    );
  });

  it('masks the password of a URL and keeps it out of messages, in every form it can be written', () => {
    assert.equal(maskedUrl('postgres://app:p%40ss@db.local:5432/shop'), 'postgres://app:***@db.local:5432/shop');
    assert.equal(maskedUrl('postgresql://app@127.0.0.1/shop'), 'postgresql://app@127.0.0.1/shop');
    assert.equal(maskedUrl('not a url'), 'not a url');
    const url = 'postgres://app:p%40ss@db.local:5432/shop';
    assert.equal(
      withoutPassword(`failed for ${url}; password p@ss or p%40ss`, url),
      'failed for postgres://app:***@db.local:5432/shop; password *** or ***',
    );
    const wrapped = sourceError(new Error('connect to postgres://app:p%40ss@db.local:5432/shop refused (p@ss)'), url);
    assert.equal(wrapped.reason, 'data-copy-failed');
    assert.doesNotMatch(`${wrapped.message}${wrapped.hint}`, /p@ss|p%40ss/);
    const typed = sourceError(new SlipwayError('masking-unsafe', 'bad p@ss'), url);
    assert.equal(typed.reason, 'masking-unsafe');
    assert.equal(typed.message, 'bad ***');
  });

  it('--source must be a PostgreSQL URL; the problem never shows its password', () => {
    assert.equal(sourceUrlProblem('postgres://u:pw@h:5432/db'), undefined);
    assert.equal(sourceUrlProblem('postgresql://u@h/db'), undefined);
    assert.match(sourceUrlProblem('mysql://u:pw@h/db') ?? '', /"mysql:\/\/u:\*\*\*@h\/db" is not a PostgreSQL URL/);
    assert.match(sourceUrlProblem('db.local:5432') ?? '', /is not a PostgreSQL URL|is not a URL/);
    assert.match(sourceUrlProblem('://pw') ?? '', /^--source is not a URL/);
  });
});
