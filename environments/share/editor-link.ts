// The reviewer's editor link, vscode://slipway.slipway/open?project=...&branch=...: made by `slipway share`, parsed by the extension's UriHandler (pure: no Node, no DOM).

/** The extension's id (publisher.name) and the path its UriHandler answers. */
export const EDITOR_LINK_AUTHORITY = 'slipway.slipway';
export const EDITOR_LINK_PATH = '/open';

/** The environment a link opens: its project (the spec's name) and branch. */
export interface EditorLinkTarget {
  project: string;
  branch: string;
}

/** The link that opens `target`'s dashboard and pipeline view in a reviewer's own VS Code. */
export function editorLink(target: EditorLinkTarget, scheme = 'vscode'): string {
  const query = `project=${encodeURIComponent(target.project)}&branch=${encodeURIComponent(target.branch)}`;
  return `${scheme}://${EDITOR_LINK_AUTHORITY}${EDITOR_LINK_PATH}?${query}`;
}

const MAX = 200;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The target of a link's path and query (as VS Code hands them to the UriHandler), or why it
 * is not one: the path must be `/open`, and `project` and `branch` each given once, non-empty,
 * at most 200 characters, without control characters.
 */
export function parseEditorLink(path: string, query: string): EditorLinkTarget | { error: string } {
  if (path !== EDITOR_LINK_PATH)
    return { error: `the link's path is ${JSON.stringify(path)}, not ${EDITOR_LINK_PATH}` };
  const values: Record<string, string[]> = {};
  for (const part of query.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return { error: `the link's ${key} is not valid percent-encoding` };
    }
    (values[key] ??= []).push(value);
  }
  const one = (name: 'project' | 'branch'): string | { error: string } => {
    const v = values[name];
    if (!v || v.length === 0 || v[0].trim() === '') return { error: `the link names no ${name}` };
    if (v.length > 1) return { error: `the link names ${name} ${v.length} times` };
    if (v[0].length > MAX) return { error: `the link's ${name} is longer than ${MAX} characters` };
    if (CONTROL.test(v[0])) return { error: `the link's ${name} holds control characters` };
    return v[0];
  };
  const project = one('project');
  if (typeof project !== 'string') return project;
  const branch = one('branch');
  if (typeof branch !== 'string') return branch;
  return { project, branch };
}
