// `slipway state status`: where the state lives (folder, or the database with its password masked), Pulumi's backend, the schema version.
import { defaultBackendUrl, slipwayHome } from '../../paths';
import type { PostgresStateStore } from '../../state/pg-store';
import { stateStore } from '../../state/store';
import { maskUrl } from '../../state/url';
import type { Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';

export const stateStatus: Command = {
  summary: "Show where Slipway's state lives: the files under SLIPWAY_HOME, or a team's PostgreSQL (password masked)",
  options: { json: common.json, help: common.help },
  readOnly: true,
  async run(ctx) {
    const home = slipwayHome();
    const store = stateStore(home);
    const backend = maskUrl(process.env.SLIPWAY_BACKEND_URL ?? defaultBackendUrl(home));
    let schemaVersion: number | undefined;
    const counts: Record<string, number> = {};
    if (store.kind === 'postgres') {
      const db = store as PostgresStateStore;
      schemaVersion = Number(db.query<{ v: number }>('SELECT max(version) AS v FROM slipway_schema_migrations')[0]?.v);
      for (const table of [
        'slipway_records',
        'slipway_releases',
        'slipway_audit',
        'slipway_approvals',
        'slipway_shares',
      ])
        counts[table.replace('slipway_', '')] = Number(
          db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)[0].n,
        );
    }
    const data = {
      kind: store.kind,
      location: store.location,
      home,
      pulumiBackend: backend,
      ...(schemaVersion !== undefined ? { schemaVersion, counts } : {}),
    };
    if (ctx.json) printJson(ctx, data);
    else {
      ctx.out(store.kind === 'file' ? `state: files under ${home}` : `state: PostgreSQL ${store.location}`);
      ctx.out(`pulumi backend: ${backend}`);
      if (schemaVersion !== undefined) {
        ctx.out(`schema version: ${schemaVersion}`);
        ctx.out(
          Object.entries(counts)
            .map(([k, n]) => `${k}: ${n}`)
            .join(', '),
        );
      }
    }
    return EXIT.ok;
  },
};
