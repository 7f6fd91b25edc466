/** Masked production data for preview databases: the API the CLI and `up` call. */
export { MaskingUnsafeError, checkPolicy, type CheckReport, type UnsafeColumn } from './check';
export { maskedUrl, sourceError, sourceUrlProblem, withoutPassword } from './source';
export { draftPolicy, type DraftOptions } from './draft';
export { MaskingPolicyError, loadPolicy, parsePolicy, type MaskingPolicy, type Transformer } from './policy';
export { seedMaskedData, type SeedEvent, type SeedOptions, type SeedSummary } from './seed';
