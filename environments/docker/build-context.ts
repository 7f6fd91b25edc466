/** A build context: its top-level entries for dockerode, and a stable hash of it honouring .dockerignore. Serialized into Pulumi's state with the provider (see ./provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */

/* eslint-disable @typescript-eslint/no-require-imports */

/** Top-level entries of a build context (dockerode applies .dockerignore to them and below). */
export function contextEntries(context: string): string[] {
  const fs = require('node:fs');
  return (fs.readdirSync(context) as string[]).sort();
}

/**
 * A stable hash of a build context: every file's relative path, mode and content, honouring
 * .dockerignore exactly as the build does.
 */
export function hashBuildContext(context: string): string {
  const fs = require('node:fs');
  const path = require('node:path');
  const crypto = require('node:crypto');
  const dockerignore = require('@balena/dockerignore');
  let ignore: { ignores(p: string): boolean } | undefined;
  const ignoreFile = path.join(context, '.dockerignore');
  if (fs.existsSync(ignoreFile)) ignore = dockerignore({ ignorecase: false }).add(fs.readFileSync(ignoreFile, 'utf8'));
  const hash = crypto.createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(context, rel);
    for (const name of (fs.readdirSync(abs) as string[]).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (ignore && ignore.ignores(childRel)) continue;
      const st = fs.lstatSync(path.join(abs, name));
      if (st.isDirectory()) walk(childRel);
      else {
        hash.update(`${childRel}\0${st.mode}\0`);
        hash.update(
          st.isSymbolicLink() ? fs.readlinkSync(path.join(abs, name)) : fs.readFileSync(path.join(abs, name)),
        );
        hash.update('\0');
      }
    }
  };
  walk('');
  return hash.digest('hex');
}
