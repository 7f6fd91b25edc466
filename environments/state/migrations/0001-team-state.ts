// Migration 1: the team-state tables (documents as jsonb, append-only logs as text lines).
export const version = 1;
export const name = 'team-state';

const doc = (table: string) => `
CREATE TABLE ${table} (
  key text PRIMARY KEY,
  doc jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);`;

// Log lines are kept as written: the audit chain hashes each entry's exact JSON text.
const log = (table: string) => `
CREATE TABLE ${table} (
  key text NOT NULL,
  seq bigint NOT NULL,
  line text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, seq)
);`;

export const sql = [
  doc('slipway_records'),
  doc('slipway_releases'),
  doc('slipway_shares'),
  doc('slipway_audit_heads'),
  doc('slipway_audit_keys'),
  doc('slipway_quota_ledger'),
  log('slipway_audit'),
  log('slipway_approvals'),
  log('slipway_share_access'),
].join('\n');
