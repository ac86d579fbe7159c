// `pyvet advisories list NAME` refused the project that `pyvet files NAME` takes positionally.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('advisories list takes the project positionally, as --project', () => {
  const tmp = tempDir('pyvet-advlist-');
  try {
    assert.equal(runCli(tmp.path, ['init']).status, 0);
    const ids = (args: string[]) => {
      const r = runCli(tmp.path, ['--json', 'advisories', 'list', ...args]);
      assert.equal(r.status, 0, r.stderr);
      const list = JSON.parse(r.stdout) as { id: string; affected: { package: string }[] }[];
      assert.ok(list.every((a) => a.affected.some((p) => p.package === 'jinja2')), args.join(' '));
      return list.map((a) => a.id).sort();
    };
    const positional = ids(['Jinja2']);
    assert.ok(positional.length > 0, 'the bundled advisories name jinja2');
    assert.deepEqual(positional, ids(['--project', 'jinja2']));
    assert.deepEqual(positional, ids(['jinja2', '-p', 'Jinja2']));
    const both = runCli(tmp.path, ['advisories', 'list', 'jinja2', '--project', 'flask']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /USAGE_INVALID.*two projects named/);
  } finally {
    tmp.cleanup();
  }
});
