// Token commands: create (shows the token once), list, revoke.
import type { Command } from 'commander';
import type { Role } from '../../catalog/types.js';
import { createToken, listTokens, parseExpiry, revokeToken } from '../../repository/tokens.js';
import { cliActor, globalOptions } from '../context.js';
import { colour, info, printJson, printTable } from '../output.js';
import { withRepository } from './repo.js';

export function register(program: Command): void {
  const token = program.command('token').description('API tokens for pip, twine and the admin API');

  token
    .command('create <name>')
    .description('create a token; it is printed once and never stored')
    .requiredOption('--role <role>', 'reader, publisher, approver or admin')
    .option('--expires <when>', 'lifetime (30d, 12h, 90m), a date (2030-01-31) or an RFC 3339 date-time, at most 1830 days away; default never')
    .addHelpText('after', '\nExample: pyvet token create ci-uploader --role publisher --expires 90d')
    .action(async (name: string, opts: { role: string; expires?: string }, c: Command) => {
      const created = await withRepository(c, (repo) =>
        createToken(
          repo,
          { name, role: opts.role as Role, expiresAt: opts.expires ? parseExpiry(opts.expires, new Date(), '--expires') : null },
          cliActor(),
        ),
      );
      if (globalOptions(c).json) return printJson(created);
      info(`Token ${colour.bold(created.record.id)} '${created.record.name}' (${created.record.role})`);
      info(`  ${colour.bold(created.token)}`);
      info(colour.dim('Shown only this once. pip/twine: username __token__, password the token.'));
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_opts: unknown, c: Command) => {
      const tokens = await withRepository(c, (repo) => listTokens(repo, cliActor()));
      if (globalOptions(c).json) return printJson(tokens);
      const now = Date.now();
      printTable(
        ['id', 'name', 'role', 'created', 'expires', 'last used', 'status'],
        tokens.map((t) => [
          t.id,
          t.name,
          t.role,
          t.createdAt.slice(0, 10),
          t.expiresAt?.slice(0, 10) ?? '',
          t.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? '',
          t.revokedAt
            ? colour.red('revoked')
            : t.expiresAt && Date.parse(t.expiresAt) <= now
              ? colour.yellow('expired')
              : colour.green('active'),
        ]),
      );
    });

  token
    .command('revoke <id>')
    .description('revoke a token by id: it is refused from now on')
    .action(async (id: string, _opts: unknown, c: Command) => {
      const asked = Date.now();
      const rec = await withRepository(c, (repo) => revokeToken(repo, id, cliActor()));
      // The service hands back a revoked token unchanged: a revocation older than this command is an earlier one.
      const alreadyRevoked = rec.revokedAt !== null && Date.parse(rec.revokedAt) < asked;
      if (globalOptions(c).json) return printJson({ ...rec, alreadyRevoked });
      if (alreadyRevoked) info(`${rec.id} '${rec.name}' was already revoked at ${rec.revokedAt}: nothing changed`);
      else info(`Revoked ${rec.id} '${rec.name}' at ${rec.revokedAt}`);
    });
}
