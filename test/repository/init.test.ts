// Creating and opening repositories through the real CLI: init prints a working admin token
// once, writes a pyvet.toml whose commented defaults are the real defaults, refuses to run twice;
// --data and PYVET_DATA are honoured; token commands work end to end.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig, loadConfig } from '../../src/config.js';
import { PyvetError } from '../../src/errors.js';
import { openRepository } from '../../src/repository/open.js';
import { authenticate } from '../../src/repository/tokens.js';
import { listTargets } from '../../src/resolve/targets.js';
import { tempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

describe('init and open', () => {
  const tmp = tempDir('pyvet-init-');
  const dataDir = join(tmp.path, 'data');
  after(() => tmp.cleanup());

  it('pyvet init creates the repository and prints an admin token that works', async () => {
    const r = runCli(dataDir, ['--json', 'init']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { dataDir: string; configFile: string; adminToken: string };
    assert.equal(out.dataDir, dataDir);
    assert.ok(statSync(join(dataDir, 'blobs')).isDirectory());
    assert.ok(existsSync(join(dataDir, 'catalog.sqlite')));
    assert.equal(out.configFile, join(dataDir, 'pyvet.toml'));
    const repo = await openRepository({ dataDir, logLevel: 'silent' });
    try {
      assert.deepEqual(await authenticate(repo, out.adminToken), { name: 'admin', role: 'admin' });
    } finally {
      await repo.close();
    }
  });

  it('writes a pyvet.toml whose commented settings are the real defaults', () => {
    const text = readFileSync(join(dataDir, 'pyvet.toml'), 'utf8');
    assert.deepEqual(loadConfig({ dataDir, env: {} }).limits, defaultConfig(dataDir).limits, 'all commented: defaults');
    // Uncomment every `# key = value` line except the documented examples.
    const uncommented = text
      .split('\n')
      .map((l) => (/^# [a-z_]+ = /.test(l) && !/^# (base_url|policy_file|name|base|glibc) /.test(l) ? l.slice(2) : l))
      .join('\n');
    // The example target, uncommented with its table header, is a valid target.
    const example = text.slice(text.indexOf('# [[targets]]')).split('\n').slice(0, 4).map((l) => l.slice(2)).join('\n');
    const withTarget = join(tmp.path, 'with-target.toml');
    writeFileSync(withTarget, `${example}\n`);
    const rhel8 = listTargets(loadConfig({ dataDir, configFile: withTarget, env: {} })).find((t) => t.name === 'cp311-rhel8');
    assert.equal(rhel8?.platforms[0], 'manylinux_2_28_x86_64');
    const file = join(tmp.path, 'uncommented.toml');
    writeFileSync(file, uncommented);
    const c = loadConfig({ dataDir, configFile: file, env: {} });
    const d = defaultConfig(dataDir);
    assert.deepEqual(
      { log_level: c.log_level, server: c.server, limits: c.limits, advisories: c.advisories, vetting: c.vetting, mirror: c.mirror },
      { log_level: d.log_level, server: d.server, limits: d.limits, advisories: d.advisories, vetting: d.vetting, mirror: d.mirror },
    );
  });

  it('refuses to initialise twice and changes nothing', () => {
    const before = readFileSync(join(dataDir, 'pyvet.toml'));
    const r = runCli(dataDir, ['init']);
    assert.equal(r.status, 5);
    assert.match(r.stderr, /REPO_EXISTS/);
    assert.deepEqual(readFileSync(join(dataDir, 'pyvet.toml')), before);
    assert.doesNotMatch(r.stdout, /pyvet_/);
  });

  it('says where it looked when there is no repository, and creates one on request', async () => {
    const empty = join(tmp.path, 'empty');
    await assert.rejects(
      openRepository({ dataDir: empty }),
      (e: unknown) => e instanceof PyvetError && e.code === 'REPO_NOT_FOUND' && e.message.includes(empty),
    );
    const r = runCli(empty, ['files']);
    assert.equal(r.status, 4);
    assert.match(r.stderr, /REPO_NOT_FOUND/);
    const created = await openRepository({ dataDir: empty, create: true, logLevel: 'silent' });
    try {
      assert.match(created.initialAdminToken ?? '', /^pyvet_/);
      assert.ok(await authenticate(created, created.initialAdminToken!));
    } finally {
      await created.close();
    }
    const again = await openRepository({ dataDir: empty, create: true, logLevel: 'silent' });
    assert.equal(again.initialAdminToken, undefined);
    await again.close();
  });

  it('pyvet token create/list/revoke, honouring PYVET_DATA', async () => {
    const created = runCli(dataDir, ['--json', 'token', 'create', 'ci', '--role', 'publisher', '--expires', '30d']);
    assert.equal(created.status, 0, created.stderr);
    const { token, record } = JSON.parse(created.stdout) as { token: string; record: { id: string; expiresAt: string } };
    const days = (Date.parse(record.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);

    // runCli names the repository with PYVET_DATA; --data wins over it.
    const viaFlag = runCli(join(tmp.path, 'elsewhere'), ['--data', dataDir, '--json', 'token', 'list']);
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    const listed = runCli(dataDir, ['--json', 'token', 'list']);
    assert.equal(listed.status, 0, listed.stderr);
    const tokens = JSON.parse(listed.stdout) as { id: string; name: string }[];
    assert.deepEqual(tokens.map((t) => t.name).sort(), ['admin', 'ci']);
    assert.deepEqual(JSON.parse(viaFlag.stdout), tokens);

    const table = runCli(dataDir, ['token', 'list']);
    assert.match(table.stdout, /ci .*publisher/);
    assert.equal((table.stdout + listed.stdout).includes(token.slice(-43)), false, "no secret in listings");

    const revoked = runCli(dataDir, ['token', 'revoke', record.id]);
    assert.equal(revoked.status, 0, revoked.stderr);
    const repo = await openRepository({ dataDir, logLevel: 'silent' });
    try {
      assert.equal(await authenticate(repo, token), null);
    } finally {
      await repo.close();
    }
    assert.equal(runCli(dataDir, ['token', 'revoke', 'ffffffffffffffff']).status, 4);
    const badRole = runCli(dataDir, ['token', 'create', 'x', '--role', 'root']);
    assert.equal(badRole.status, 2);
    assert.match(badRole.stderr, /ROLE_INVALID/);
  });
});
