// The tamper-evident audit log: hash chain, verification, export.
export { canonicalJson, entryHash, GENESIS_HASH } from './chain.js';
export { type AuditProblem, type AuditVerification, checkChain, exportAudit, verifyAudit } from './verify.js';
