// Vetting commands: scan, review, waive, waivers, evidence, policy.
import type { Command } from 'commander';
import type { FileState } from '../../catalog/types.js';
import { PyvetError } from '../../errors.js';
import { canonicalizeName } from '../../standards/names.js';
import {
  AWAITING_APPROVER,
  checkPolicyFile,
  evidence,
  grantWaiver,
  listWaivers,
  loadPolicy,
  reasonRule,
  rescanAll,
  reviewQueue,
  revokeWaiver,
  type ScanRow,
  scanFiles,
  setPolicy,
  type Verdict,
} from '../../vetting/index.js';
import { cliActor, globalOptions } from '../context.js';
import { colour, info, plain, printJson, printTable } from '../output.js';
import { printRescan, severityText } from './advisories.js';
import { withRepository } from './repo.js';

const STATES: FileState[] = ['quarantined', 'approved', 'rejected'];

function verdictText(v: Verdict): string {
  return v === 'approve' ? colour.green(v) : v === 'reject' ? colour.red(v) : colour.yellow(v);
}

function findingsText(row: ScanRow): string {
  if (row.findings.length === 0) return colour.green('none');
  return row.findings
    .map((f) => {
      const mark = f.blocking ? colour.red('✗') : f.waiverId !== null ? colour.yellow(`waived #${f.waiverId}`) : colour.dim('·');
      const fixed = f.fixed.length ? colour.dim(` fixed ${f.fixed.slice(0, 3).join(', ')}`) : '';
      return `${mark} ${f.advisoryId} ${severityText(f.score, f.severity)}${fixed}`;
    })
    .join('\n');
}

/** Why the file is held or refused, besides advisory findings (shown in their own column) and waiting for an approver. */
function gateReasons(row: ScanRow): string[] {
  if (row.verdict === 'approve') return [];
  return row.reasons.filter((r) => {
    const rule = reasonRule(r);
    // The rules about a file entering say nothing more once it is approved.
    return r !== AWAITING_APPROVER && rule.blocks !== 'finding' && !(row.state === 'approved' && rule.entering);
  });
}

function integrityText(row: ScanRow): string {
  const bad = row.integrity.checks.filter((c) => !c.ok);
  return bad.length === 0 ? colour.green(`ok (${row.integrity.checks.length})`) : colour.red(bad.map((c) => c.check).join(', '));
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('scan files against advisories and the policy now: findings, licence, integrity (exit 1 when something blocks)')
    .option('-s, --state <state>', `only files in this state (${STATES.join(', ')})`)
    .option('-p, --project <name>', 'only this project')
    .action(async (opts: { state?: string; project?: string }, c: Command) => {
      if (opts.state !== undefined && !STATES.includes(opts.state as FileState)) {
        throw new PyvetError('STATE_INVALID', 'invalid', `--state must be one of ${STATES.join(', ')}`, { state: opts.state });
      }
      const rows = await withRepository(c, (repo) =>
        scanFiles(repo, {
          ...(opts.state ? { states: [opts.state as FileState] } : {}),
          ...(opts.project ? { project: canonicalizeName(opts.project) } : {}),
        }),
      );
      // Something blocks: a finding, or any other gate (deny, licence, owned name, sdist, size,
      // age, origin…); waiting for an approver when every gate passes is not blocking.
      const blocked = (r: ScanRow) => r.findings.some((f) => f.blocking) || gateReasons(r).length > 0;
      if (rows.some(blocked)) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(rows);
      printTable(
        ['project', 'version', 'file', 'state', 'findings', 'licence', 'integrity', 'other gates'],
        rows.map((r) => [
          r.project,
          r.version,
          r.filename,
          r.state + (r.yanked ? colour.yellow(' yanked') : ''),
          findingsText(r),
          r.license ?? colour.dim('none'),
          integrityText(r),
          gateReasons(r).length ? colour.red(gateReasons(r).join('\n')) : colour.green('pass'),
        ]),
      );
    });

  program
    .command('review')
    .description('what waits in quarantine, and why')
    .action(async (_opts: unknown, c: Command) => {
      const rows = await withRepository(c, (repo) => reviewQueue(repo));
      if (globalOptions(c).json) return printJson(rows);
      printTable(
        ['file', 'verdict', 'reasons'],
        rows.map((r) => [r.filename, verdictText(r.verdict), r.reasons.join('\n')]),
      );
    });

  program
    .command('waive')
    .description('let one advisory through on one file (or NAME==VERSION) until the waiver expires')
    .argument('<selector>', 'a filename or NAME==VERSION')
    .argument('<advisory>', 'advisory id or alias')
    .requiredOption('-r, --reason <text>', 'why this finding is acceptable')
    .option('-e, --expires <when>', 'a duration (30d, 12h, 2w) or an ISO 8601 date', '30d')
    .action(async (selector: string, advisory: string, opts: { reason: string; expires: string }, c: Command) => {
      const g = await withRepository(c, (repo) =>
        grantWaiver(repo, { selector, advisory, reason: opts.reason, expires: opts.expires }, cliActor()),
      );
      if (globalOptions(c).json) return printJson(g);
      for (const w of g.waivers) info(`waiver #${w.id}: ${w.advisoryId} on ${w.filename} until ${w.expiresAt}`);
      if (g.rescan.approved.length) info(colour.green(`approved now: ${g.rescan.approved.join(', ')}`));
    });

  program
    .command('rescan')
    .description(
      'evaluate every file again now and act as after an advisory import: approve what has aged past min_release_age_days, block again what an expired waiver let through, report files newly vulnerable or refused by the policy. Exit 1 while any approved, unyanked file has an unwaived blocking finding or fails a policy rule, new or not (approvedBlocked; a reason overridden with approve --force is not counted), so cron keeps noticing. `pyvet serve` rescans by itself when a waiver expires or a held file comes of age; this is for cron',
    )
    .action(async (_opts: unknown, c: Command) => {
      const r = await withRepository(c, (repo) => rescanAll(repo, cliActor()));
      if (r.newlyVulnerable.length > 0 || r.newlyBlocked.length > 0 || r.approvedBlocked.length > 0) process.exitCode = 1;
      if (globalOptions(c).json) return printJson(r);
      printRescan(r);
      if (r.approved.length) info(colour.green(`approved now: ${r.approved.join(', ')}`));
      if (r.rejected.length) info(colour.red(`rejected now: ${r.rejected.join(', ')}`));
    });

  const waivers = program.command('waivers').description('the waivers granted with `pyvet waive`: list them, revoke one');
  waivers
    .command('list', { isDefault: true })
    .description('active waivers (with --all, expired and revoked ones too)')
    .option('--all', 'include expired and revoked waivers', false)
    .action(async (opts: { all: boolean }, c: Command) => {
      const list = await withRepository(c, (repo) => listWaivers(repo, { all: opts.all }));
      if (globalOptions(c).json) return printJson(list);
      if (list.length === 0) return info(opts.all ? 'no waivers' : 'no active waivers');
      printTable(
        ['#', 'file', 'advisory', 'until', 'by', 'reason'],
        list.map((w) => [
          w.id,
          w.filename,
          w.advisoryId,
          w.revokedAt ? colour.red(`revoked ${w.revokedAt.slice(0, 10)}`) : w.active ? w.expiresAt.slice(0, 10) : colour.yellow(`expired ${w.expiresAt.slice(0, 10)}`),
          w.grantedBy,
          w.reason,
        ]),
      );
    });
  waivers
    .command('revoke')
    .description('withdraw a waiver at once: its finding blocks again, and approved files it let through are rescanned')
    .argument('<id>', 'the waiver number (pyvet waivers)')
    .action(async (id: string, _opts: unknown, c: Command) => {
      const n = Number(id.replace(/^#/, ''));
      if (!Number.isInteger(n) || n <= 0) throw new PyvetError('WAIVER_NOT_FOUND', 'not_found', `no waiver ${JSON.stringify(id)}`, { waiver: id });
      const w = await withRepository(c, (repo) => revokeWaiver(repo, n, cliActor()));
      if (globalOptions(c).json) return printJson(w);
      info(`waiver #${w.id} (${w.advisoryId}) revoked by ${w.revokedBy} at ${w.revokedAt}`);
      for (const o of w.stillWaivedBy) {
        info(colour.yellow(`the finding is still waived on ${w.filename} by waiver #${o.id} (${o.advisoryId}) until ${o.expiresAt}: revoke it too to block it again`));
      }
      printRescan(w.rescan);
    });

  program
    .command('evidence')
    .description('everything known about a file: integrity, findings, licence, decision, waivers, history')
    .argument('<selector>', 'NAME==VERSION, a filename, or NAME')
    .action(async (selector: string, _opts: unknown, c: Command) => {
      const list = await withRepository(c, (repo) => evidence(repo, selector));
      if (globalOptions(c).json) return printJson(list);
      for (const e of list) {
        const f = e.file;
        info(colour.bold(`${f.filename}`));
        info(`project ${f.project} ${f.version}  state ${f.state}${f.yanked ? ` (yanked: ${f.yankedReason})` : ''}  origin ${f.origin}`);
        info(`sha256 ${f.sha256}  size ${f.size}  uploaded ${f.uploadedAt}${f.upstreamUploadedAt ? `  upstream ${f.upstreamUploadedAt}` : ''}`);
        info(`licence ${f.license ?? colour.dim('none declared')}`);
        info(`integrity: ${f.integrity.checks.map((k) => `${k.ok ? colour.green('✓') : colour.red('✗')} ${k.check}${k.detail ? ` (${k.detail})` : ''}`).join(', ')}`);
        // "Waiting for an approver" means nothing for a file already approved: leave it out, and
        // when nothing else holds it, say that it passes and who approved it.
        const reasons = f.state === 'approved' ? e.current.reasons.filter((r) => r !== AWAITING_APPROVER) : e.current.reasons;
        if (f.state === 'approved' && reasons.length === 0) {
          info(`decision now: ${colour.green('every gate passes')} (approved by ${f.stateChangedBy}${f.stateReason ? `: ${f.stateReason}` : ''})`);
        } else {
          info(`decision now: ${verdictText(e.current.verdict)}`);
          for (const r of reasons) info(`  - ${r}`);
        }
        // In full, for an auditor: every alias, the summary and every fixed version.
        info('findings:');
        if (e.current.findings.length === 0) info(`  ${colour.green('none')}`);
        for (const fd of e.current.findings) {
          const mark = fd.blocking ? colour.red('✗ blocking') : fd.waiverId !== null ? colour.yellow(`waived #${fd.waiverId}`) : colour.dim('below the bar');
          info(`  ${fd.advisoryId}${fd.aliases.length ? ` (${fd.aliases.join(', ')})` : ''}: ${severityText(fd.score, fd.severity)}, ${mark}`);
          if (fd.summary) info(`    ${plain(fd.summary)}`);
          if (fd.fixed.length) info(`    fixed in ${fd.fixed.join(', ')}`);
        }
        if (e.waivers.length) {
          printTable(
            ['waiver', 'advisory', 'until', 'by', 'reason', 'active'],
            e.waivers.map((w) => [w.id, w.advisoryId, w.expiresAt, w.grantedBy, w.reason, w.active ? 'yes' : 'no']),
          );
        }
        // Each entry whole (a table cut the details: an approval's reason, what it overrode).
        info('history (audit log):');
        for (const h of e.history) {
          info(`  #${h.seq} ${h.at.slice(0, 19).replace('T', ' ')} ${plain(h.actor)} ${h.action}`);
          for (const [k, v] of Object.entries(h.details)) info(`      ${k}: ${plain(typeof v === 'string' ? v : JSON.stringify(v))}`);
        }
      }
    });

  const policy = program.command('policy').description('the vetting policy (gates, auto-approval)');
  policy
    .command('show')
    .description('the policy in force and where it comes from')
    .action(async (_opts: unknown, c: Command) => {
      const p = await withRepository(c, (repo) => loadPolicy(repo));
      if (globalOptions(c).json) return printJson(p);
      info(colour.dim(`# source: ${p.source}`));
      info(JSON.stringify(p.policy, null, 2));
    });
  policy
    .command('set')
    .description('validate a YAML or TOML policy file and store it in the repository (audited); then rescan')
    .argument('<file>', 'policy.yaml or policy.toml')
    .action(async (file: string, _opts: unknown, c: Command) => {
      const p = await withRepository(c, async (repo) => {
        const set = await setPolicy(repo, file, cliActor());
        return { ...set, rescan: await rescanAll(repo, cliActor()) };
      });
      if (globalOptions(c).json) return printJson(p);
      info(`${colour.green('policy set')} from ${file}`);
      printRescan(p.rescan);
    });
  policy
    .command('check')
    .description('validate a policy file without storing it')
    .argument('<file>', 'policy.yaml or policy.toml')
    .action(async (file: string, _opts: unknown, c: Command) => {
      const p = await checkPolicyFile(file);
      if (globalOptions(c).json) return printJson({ ok: true, policy: p });
      info(`${colour.green('ok')} ${file}`);
    });
}
