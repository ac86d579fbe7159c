// The SBOM's dependency graph keeps edges that only exist through an extra.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRelease } from '../../src/releases/service.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';

describe('SBOM dependencies through extras', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'acme-app', version: '1.0', deps: ['acme-d[fast]>=1'] },
      { name: 'acme-d', version: '1.0', deps: ['acme-e; extra == "fast"'], extras: ['fast'] },
      { name: 'acme-e', version: '1.0' },
    ]);
  });
  after(() => t.cleanup());

  it('acme-d depends on acme-e when acme-d[fast] is what is needed', async () => {
    await createRelease(t.repo, { name: 'r', targets: [LINUX], requirements: ['acme-app'], indexUrl: 'https://p.example/simple/' }, ADMIN);
    const sbom = JSON.parse((await t.repo.catalog.releaseSets.getDocument('r', `${LINUX}.cdx.json`))!.content) as {
      components: { 'bom-ref': string; name: string }[];
      dependencies: { ref: string; dependsOn: string[] }[];
    };
    const name = new Map(sbom.components.map((c) => [c['bom-ref'], c.name]));
    const graph = Object.fromEntries(sbom.dependencies.filter((d) => name.has(d.ref)).map((d) => [name.get(d.ref)!, d.dependsOn.map((x) => name.get(x))]));
    assert.deepEqual(graph, { 'acme-app': ['acme-d'], 'acme-d': ['acme-e'], 'acme-e': [] });
  });
});
