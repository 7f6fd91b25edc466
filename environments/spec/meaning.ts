/**
 * Checks of the spec's meaning that the schema cannot express: references, name clashes, reference
 * cycles, build folders and health-check ports. They run on the raw data even when the schema
 * failed, so every issue is reported at once; anything of an unexpected shape is left to the schema.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SpecIssue } from '../errors';
import { outsideRoot, repositoryRoot } from './containment';
import { initProblems } from './database-init';
import { jobProblems } from './job';
import { DEFAULT_DOCKERFILE } from './normalize';
import { mockProblems, mockServiceName, mocksGateProblems } from './mocks';
import { pipelineProblems } from './pipeline';
import { stageSeedProblems } from './stage-seed';
import { seedProblems } from './seed';
import { extraProblems } from './service-extras';
import { isRecord, type Path, type Problem, type SpecSource } from './source';
import { envRefs, refText, type EnvRef } from './template';
import type { SpecRef } from './types';

const DATABASE_ATTRS = ['url', 'host', 'port', 'user', 'password', 'name'];
const SERVICE_ATTRS = ['url', 'host', 'port'];

interface Declared {
  services: Record<string, unknown>;
  databases: Record<string, unknown>;
}

export function semanticIssues(data: unknown, source: SpecSource): SpecIssue[] {
  if (!isRecord(data)) return [];
  const declared: Declared = {
    services: isRecord(data.services) ? data.services : {},
    databases: isRecord(data.databases) ? data.databases : {},
  };
  const { refs, malformed } = envRefs(declared.services);
  const mocks = isRecord(data.mocks) ? data.mocks : {};
  const withMocks: Declared = {
    ...declared,
    services: {
      ...declared.services,
      ...Object.fromEntries(
        Object.entries(mocks).map(([m, raw]) => [
          mockServiceName(m),
          { ports: [isRecord(raw) && typeof raw.port === 'number' ? raw.port : 1] },
        ]),
      ),
    },
  };
  const problems = [
    ...malformed,
    ...nameClashProblems(declared),
    ...refs.flatMap((r) => referenceProblems(r, withMocks)),
    ...cycleProblems(refs, declared),
    ...Object.entries(declared.services).flatMap(([name, raw]) => [
      ...buildProblems(name, raw, source.dir),
      ...healthCheckProblems(name, raw),
    ]),
    ...pipelineProblems(data.pipeline),
    ...stageSeedProblems(data),
    ...jobProblems(data),
    ...extraProblems(declared.services, declared.databases, source.dir),
    ...mockProblems(data.mocks, source.dir, Object.keys(declared.services)),
    ...mocksGateProblems(data),
    ...Object.entries(declared.databases).flatMap(([name, raw]) => [
      ...seedProblems(name, raw, source.dir),
      ...initProblems(name, raw, source.dir),
    ]),
  ];
  return problems.map((p) => source.issue(p.path, p.at, p.message));
}

function nameClashProblems(declared: Declared): Problem[] {
  return Object.keys(declared.databases)
    .filter((name) => Object.hasOwn(declared.services, name))
    .map((name) => ({
      path: ['databases', name],
      at: 'key',
      message: `name "${name}" is already used by a service; services and databases need different names`,
    }));
}

function referenceProblems({ service, path, ref }: EnvRef, declared: Declared): Problem[] {
  const message = referenceMessage(service, ref, declared);
  return message ? [{ path, at: 'value', message: `${refText(ref)}: ${message}` }] : [];
}

function referenceMessage(from: string, ref: SpecRef, declared: Declared): string | undefined {
  const isDatabase = ref.kind === 'databases';
  const kind = isDatabase ? 'database' : 'service';
  const names = Object.keys(isDatabase ? declared.databases : declared.services);
  if (!names.includes(ref.name)) {
    const known = names.length > 0 ? `declared: ${names.join(', ')}` : `no ${ref.kind} are declared`;
    return `refers to ${kind} "${ref.name}", which is not declared (${known})`;
  }
  const attrs = isDatabase ? DATABASE_ATTRS : SERVICE_ATTRS;
  if (!attrs.includes(ref.attr)) return `a ${kind} has no attribute "${ref.attr}" (use one of: ${attrs.join(', ')})`;
  if (isDatabase) return undefined;
  if (ref.name === from && ref.attr === 'url') return 'a service cannot refer to its own url';
  const target = declared.services[ref.name];
  const ports = isRecord(target) ? target.ports : undefined;
  const hasNoPorts = ports === undefined || (Array.isArray(ports) && ports.length === 0);
  if ((ref.attr === 'url' || ref.attr === 'port') && hasNoPorts) {
    return `service "${ref.name}" has no ports, so it has no ${ref.attr}; add ports to it`;
  }
  return undefined;
}

/** Services wait for the services they refer to, so references between services must not form a circle. */
function cycleProblems(refs: EnvRef[], declared: Declared): Problem[] {
  const order = Object.keys(declared.services);
  const edges = new Map<string, Map<string, Path>>(order.map((name) => [name, new Map()]));
  for (const { service, path, ref } of refs) {
    const from = edges.get(service);
    if (ref.kind === 'services' && ref.name !== service && edges.has(ref.name) && !from?.has(ref.name)) {
      from?.set(ref.name, path);
    }
  }
  return findCycles(order, (name) => [...(edges.get(name)?.keys() ?? [])]).map((cycle) => ({
    path: edges.get(cycle[0])?.get(cycle[1]) ?? ['services', cycle[0]],
    at: 'value',
    message:
      `reference cycle between services: ${[...cycle, cycle[0]].join(' -> ')} ` +
      '(a service starts after the services it refers to, so none of these could start); remove one of the references',
  }));
}

/** Each distinct cycle found by a depth-first search, rotated to start at its earliest-declared node. */
function findCycles(order: string[], next: (node: string) => string[]): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles = new Map<string, string[]>();
  const visit = (node: string): void => {
    state.set(node, 'active');
    stack.push(node);
    for (const to of next(node)) {
      if (state.get(to) === 'active') {
        const cycle = stack.slice(stack.indexOf(to));
        const start = cycle.indexOf(order.find((n) => cycle.includes(n)) ?? to);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('\0'), rotated);
      } else if (!state.has(to)) {
        visit(to);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of order) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

/** A service's build, in either form, with the paths to point at when its folder or Dockerfile is missing. */
interface BuildForm {
  context: string;
  dockerfile: string;
  contextPath: Path;
  dockerfilePath: Path;
}

function buildForm(build: unknown, buildPath: Path): BuildForm | undefined {
  if (typeof build === 'string') {
    return { context: build, dockerfile: DEFAULT_DOCKERFILE, contextPath: buildPath, dockerfilePath: buildPath };
  }
  if (!isRecord(build) || typeof build.context !== 'string') return undefined;
  const dockerfile = build.dockerfile ?? DEFAULT_DOCKERFILE;
  if (typeof dockerfile !== 'string') return undefined;
  return {
    context: build.context,
    dockerfile,
    contextPath: [...buildPath, 'context'],
    dockerfilePath: [...buildPath, build.dockerfile === undefined ? 'context' : 'dockerfile'],
  };
}

/** The build context must be a folder inside the repository and hold the Dockerfile. */
function buildProblems(service: string, raw: unknown, dir: string): Problem[] {
  const form = buildForm(isRecord(raw) ? raw.build : undefined, ['services', service, 'build']);
  if (!form || form.context === '' || form.dockerfile === '') return [];
  const context = resolve(dir, form.context);
  const root = repositoryRoot(dir);
  const outside = root && outsideRoot(form.context, context, root, 'build context');
  if (outside) return [{ path: form.contextPath, at: 'value', message: outside }];
  const contextKind = fileKind(context);
  if (contextKind !== 'folder') {
    const why = contextKind === 'file' ? `${context} is a file, not a folder` : `${context} does not exist`;
    return [{ path: form.contextPath, at: 'value', message: `build context "${form.context}" not found: ${why}` }];
  }
  const dockerfile = resolve(context, form.dockerfile);
  const dockerfileOutside = root && outsideRoot(form.dockerfile, dockerfile, root, 'dockerfile');
  if (dockerfileOutside) return [{ path: form.dockerfilePath, at: 'value', message: dockerfileOutside }];
  if (fileKind(dockerfile) === 'file') return [];
  const message = `no ${form.dockerfile} in build context "${form.context}": ${dockerfile} does not exist`;
  return [{ path: form.dockerfilePath, at: 'value', message }];
}

function fileKind(path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** An HTTP health check is probed on a published port, so the service needs one. */
function healthCheckProblems(service: string, raw: unknown): Problem[] {
  if (!isRecord(raw) || !isRecord(raw.healthcheck)) return [];
  const http = raw.healthcheck.http;
  const ports = Array.isArray(raw.ports) ? raw.ports : raw.ports === undefined ? [] : undefined;
  const httpPath = ['services', service, 'healthcheck', 'http'];
  if (ports === undefined || http === undefined) return [];
  const onFirstPort = typeof http === 'string' || (isRecord(http) && http.port === undefined);
  if (onFirstPort && ports.length === 0) {
    const message =
      "an http health check probes the service's first port, but it has no ports; add ports, or use a command health check";
    return [{ path: httpPath, at: 'value', message }];
  }
  if (isRecord(http) && typeof http.port === 'number' && !ports.includes(http.port)) {
    const listed = ports.length > 0 ? `its ports are ${ports.join(', ')}` : 'it has no ports';
    const message = `port ${http.port} is not one of the service's ports (${listed})`;
    return [{ path: [...httpPath, 'port'], at: 'value', message }];
  }
  return [];
}
