/** `slipway init`: a first slipway.yaml for a project, from its Compose file or else from a Dockerfile it has. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { stringify } from 'yaml';
import { SlipwayError } from '../errors';
import { composeToSpec, type Unmapped } from './compose';
import { slipwayName } from './compose-values';
import { parseSpec } from './load';

/** The names Docker Compose looks for, in its order. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export interface InitDraft {
  /** The text of slipway.yaml, with a comment listing what was not mapped. */
  text: string;
  /** The file it was drafted from (a compose file or a Dockerfile). */
  from: string;
  unmapped: Unmapped[];
  notes: string[];
}

export interface InitOptions {
  /** A compose file to start from; default the first of COMPOSE_FILES in `dir`. */
  compose?: string;
  /** Project name; default from the compose file's `name`, else the folder's name. */
  name?: string;
}

/** Drafts slipway.yaml for the project in `dir` (where it will be written) and checks that it loads. */
export function draftSpec(dir: string, options: InitOptions = {}): InitDraft {
  const compose = options.compose ?? COMPOSE_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
  let draft: InitDraft;
  let spec: Record<string, unknown>;
  if (compose) {
    let text: string;
    try {
      text = readFileSync(compose, 'utf8');
    } catch (err) {
      throw new SlipwayError('spec-not-found', `Cannot read the compose file ${compose}: ${(err as Error).message}.`, {
        hint: 'Check the path given with --compose.',
        cause: err,
      });
    }
    const r = composeToSpec(text, compose, options.name);
    spec = r.spec;
    draft = { text: '', from: compose, unmapped: r.unmapped, notes: r.notes };
  } else {
    const dockerfile = findDockerfile(dir);
    if (!dockerfile) {
      throw new SlipwayError(
        'spec-not-found',
        `${dir} has no compose file (${COMPOSE_FILES.join(', ')}) and no Dockerfile to start slipway.yaml from.`,
        {
          hint: 'Run slipway init in the folder that holds them, pass --compose FILE, or write slipway.yaml by hand (see the README).',
        },
      );
    }
    spec = fromDockerfile(dir, dockerfile, options.name);
    draft = {
      text: '',
      from: dockerfile,
      unmapped: [],
      notes: [`one service built from ${relative(dir, dockerfile)}; add its databases and health check`],
    };
  }
  draft.text = header(dir, draft) + stringify(spec, { lineWidth: 0 });
  // A draft that does not load is Slipway's own fault: say so rather than write it.
  parseSpec(draft.text, join(dir, 'slipway.yaml'));
  return draft;
}

function header(dir: string, d: InitDraft): string {
  const from = relative(dir, d.from) || basename(d.from);
  const lines = [
    `# slipway.yaml drafted by \`slipway init\` from ${from}: each git branch gets its own copy of these services.`,
  ];
  if (d.unmapped.length) {
    lines.push(`# Not mapped from ${from} (review these):`);
    for (const u of d.unmapped) lines.push(`#   line ${u.line}, ${u.field}: ${u.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function findDockerfile(dir: string): string | undefined {
  if (existsSync(join(dir, 'Dockerfile'))) return join(dir, 'Dockerfile');
  for (const sub of readdirSync(dir).sort()) {
    if (sub.startsWith('.') || sub === 'node_modules') continue;
    const f = join(dir, sub, 'Dockerfile');
    if (statSync(join(dir, sub)).isDirectory() && existsSync(f)) return f;
  }
  return undefined;
}

/** One service built from the Dockerfile, publishing the ports it EXPOSEs. */
function fromDockerfile(dir: string, dockerfile: string, name?: string): Record<string, unknown> {
  const text = readFileSync(dockerfile, 'utf8');
  const ports = [...text.matchAll(/^\s*EXPOSE\s+(.+)$/gim)]
    .flatMap((m) => m[1].split(/\s+/))
    .map((p) => Number(p.split('/')[0]))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  const context = relative(dir, join(dockerfile, '..')) || '.';
  const service: Record<string, unknown> = { build: context === '.' ? '.' : `./${context}` };
  if (ports.length) service.ports = [...new Set(ports)];
  return {
    version: 1,
    name: name ?? slipwayName(basename(dir)),
    services: { [slipwayName(context === '.' ? 'app' : basename(context))]: service },
  };
}
