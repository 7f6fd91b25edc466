/**
 * The spec schema's validator compiled ahead of time. Here (tests, tsx) there is none, and
 * ./schema-issues.ts compiles the schema with Ajv on first use (hundreds of milliseconds); the
 * bundles replace this module with Ajv's standalone code for the same schema and options
 * (scripts/spec-validator.mjs), so a command that reads a spec never compiles it.
 */
import type { ValidateFunction } from 'ajv';

export const precompiled: ValidateFunction | undefined = undefined;
