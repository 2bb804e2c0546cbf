import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestServer, TEST_DATA_KEY, type TestServer } from '../support/app';
import { createDatabase, dropDatabase } from '../support/pg';
import { loadMetadataFiles } from '../../platform/metadata/loader';
import { systemContext } from '../../platform/context';
import {
  createPackageFromInstance, diffPackages, installPackage, installPreview, packageCustomizations, planUpgrade, readPackage, rollbackPackage, writePackage,
} from '../../platform/metadata/customer-package';
import { upgradeCommand } from '../../platform/cli/package-cli';

const ROOT = path.resolve(__dirname, '../..');
const FX = 'tests/fixtures/upgrade';
const BASE_N = `${FX}/base-n`;
const BASE_N1 = `${FX}/base-n1`;
const ACME = path.join(ROOT, FX, 'acme');
const run = promisify(execFile);

/** The real CLI (`npm run celltrace -- …`) against a database, without plugins (the fixtures need none). */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const r = await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['platform/main.ts', ...args], {
      cwd: ROOT, env: { ...process.env, CELLTRACE_DATA_KEY: TEST_DATA_KEY, PLUGINS_DIR: `${FX}/no-plugins`, DEMO_DATA: 'false', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'Admin#12345', ...env },
    });
    return { code: 0, out: r.stdout };
  } catch (e: any) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ct-pkg-'));
const created = (r: { status: number; body: any }) => {
  if (r.status !== 201) throw new Error(`expected 201, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.data;
};

describe('upgrade: base N + customer package → N+1 (issue 17 done-when)', () => {
  let db: { name: string; url: string };
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.stop();
    await dropDatabase(db.name);
  });

  it('reports the conflict, applies the rest, keeps the customer field and its data', async () => {
    db = await createDatabase('ct_upg');
    t = await startTestServer({ databaseUrl: db.url, plugins: [], env: { METADATA_DIRS: BASE_N } });
    let admin = await t.login();
    const pkg = readPackage(ACME);
    const preview = installPreview(t.server.services.meta, pkg);
    expect(preview.map((c) => `${c.change} ${c.kind}/${c.id}`)).toEqual(['added dictionary/wardList', 'changed entity/immuneCulture']);
    expect(preview[1].diff!.map((d) => d.path)).toEqual(expect.arrayContaining(['/properties/donorWard', '/properties/cellType/maxLength']));
    await installPackage(t.server.services.meta, t.server.services.knex, pkg, systemContext());
    const rec = created(await t.api('POST', '/api/v1/data/immuneCulture', { token: admin, body: { batchNo: 'IC-001', cellType: 'CAR-T 自体', donorWard: 'haem', cellCount: 5000000 } }));
    await t.stop();
    t = undefined;

    // The new version is deployed: its files are newer than the customer's overlay, which still wins until the upgrade.
    const env = { DATABASE_URL: db.url, METADATA_DIRS: BASE_N1 };
    const dry = await cli(['upgrade', '--dry-run'], env);
    expect(dry.code).toBe(3);
    expect(dry.out).toContain('CONFLICT entity/immuneCulture/properties/cellType/maxLength (bothChanged): base 50, customer 80, new version 120');
    expect(dry.out).toMatch(/apply +\/properties\/viability/);
    expect(dry.out).toMatch(/apply +\/properties\/cellCount\/x-label\/zh-CN: "细胞数" → "细胞总数"/);
    expect(dry.out).toContain('1 conflict(s) to resolve');

    t = await startTestServer({ databaseUrl: db.url, plugins: [], env: { METADATA_DIRS: BASE_N1 } });
    admin = await t.login();
    const meta = t.server.services.meta;
    // The dry run wrote nothing.
    expect(meta.definition('entity', 'immuneCulture').properties.viability).toBeUndefined();
    const lines: string[] = [];
    expect(await upgradeCommand(t.server.services, [], (m) => lines.push(m))).toBe(3);
    const after = meta.definition('entity', 'immuneCulture');
    expect(Object.keys(after.properties).sort()).toEqual(['batchNo', 'cellCount', 'cellSource', 'cellType', 'donorWard', 'remarks', 'viability']);
    expect(after.properties.cellType.maxLength).toBe(80); // the conflict kept the customer's value
    expect(after.properties.cellCount['x-label']['zh-CN']).toBe('细胞总数');
    expect([...after.required].sort()).toEqual(['batchNo', 'cellType', 'donorWard']);
    // The new version's dictionary item came with the files (the customer never overrode it).
    expect(meta.definition('dictionary', 'cellSource').items.map((i: any) => i.code)).toEqual(['blood', 'cord', 'marrow']);
    // The customer's data is still there, and the new column takes values.
    const got = await t.api('GET', `/api/v1/data/immuneCulture/${rec.id}`, { token: admin });
    expect([got.body.data.donorWard, got.body.data.cellCount]).toEqual(['haem', 5000000]);
    created(await t.api('POST', '/api/v1/data/immuneCulture', { token: admin, body: { batchNo: 'IC-002', cellType: 'NK', donorWard: 'onco', viability: 92.5 } }));
    // Still unresolved: the next dry run reports the same conflict; resolving it for the new version applies 120.
    const again: string[] = [];
    expect(await upgradeCommand(t.server.services, ['--dry-run'], (m) => again.push(m))).toBe(3);
    expect(again.join('\n')).toContain('CONFLICT entity/immuneCulture/properties/cellType/maxLength');
    const resolved: string[] = [];
    expect(await upgradeCommand(t.server.services, ['--resolve', 'entity/immuneCulture/properties/cellType/maxLength=upstream'], (m) => resolved.push(m))).toBe(0);
    expect(meta.definition('entity', 'immuneCulture').properties.cellType.maxLength).toBe(120);
    const clean: string[] = [];
    expect(await upgradeCommand(t.server.services, ['--dry-run'], (m) => clean.push(m))).toBe(0);
    expect(clean.join('\n')).toContain('no conflicts');
  });
});

describe('customer packages', () => {
  const dbs: { name: string; url: string }[] = [];
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dbs) await dropDatabase(d.name);
  });
  const instance = async () => {
    const d = await createDatabase('ct_pkg');
    dbs.push(d);
    const s = await startTestServer({ databaseUrl: d.url, plugins: [], env: { METADATA_DIRS: BASE_N } });
    servers.push(s);
    return s;
  };

  it('round trip: created from one instance\'s overlays, installed with a preview on a second, rolled back', async () => {
    const a = await instance();
    const aTok = await a.login();
    const file = JSON.parse(fs.readFileSync(path.join(ROOT, BASE_N, 'immune/entities/immuneCulture.json'), 'utf8'));
    const custom = { ...file, properties: { ...file.properties, operatorNote: { type: 'string', maxLength: 200, 'x-label': { 'zh-CN': '操作员说明', en: 'Operator note' } } } };
    expect((await a.api('PUT', '/api/v1/meta/entity/immuneCulture', { token: aTok, body: { definition: custom, reason: '客户字段' } })).status).toBe(200);
    const dict = { $id: 'shiftList', kind: 'dictionary', label: { 'zh-CN': '班次' }, items: [{ code: 'day', label: { 'zh-CN': '白班' } }] };
    expect((await a.api('PUT', '/api/v1/meta/dictionary/shiftList', { token: aTok, body: { definition: dict, reason: '客户字典' } })).status).toBe(200);

    const dir = tmp();
    const pkg = await createPackageFromInstance(a.server.services.meta, a.server.services.knex, dir, { name: 'acme-lab', version: '1.0.0', targets: '0.1.0' });
    expect(pkg.manifest.overrides).toEqual([{ kind: 'dictionary', id: 'shiftList', mode: 'add' }, { kind: 'entity', id: 'immuneCulture', mode: 'override' }]);
    // The module layout of the shipped files, and the shipped file as the merge base.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'immune/entities/immuneCulture.json'), 'utf8')).properties.operatorNote).toBeTruthy();
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.base/entity/immuneCulture.json'), 'utf8'))).toEqual(file);

    const b = await instance();
    const bTok = await b.login();
    const read = readPackage(dir);
    const preview = installPreview(b.server.services.meta, read);
    expect(preview.map((c) => `${c.change} ${c.kind}/${c.id}`)).toEqual(['added dictionary/shiftList', 'changed entity/immuneCulture']);
    expect(preview[1].diff).toEqual([{ path: '/properties/operatorNote', type: 'CREATE', from: undefined, to: custom.properties.operatorNote }]);
    await installPackage(b.server.services.meta, b.server.services.knex, read, systemContext());
    expect(b.server.services.meta.definition('entity', 'immuneCulture')).toEqual(a.server.services.meta.definition('entity', 'immuneCulture'));
    created(await b.api('POST', '/api/v1/data/immuneCulture', { token: bTok, body: { batchNo: 'B-1', operatorNote: '夜班接收' } }));
    // The installed package records its base: B's upgrade plan has no conflict and nothing to merge.
    const rb = await rollbackPackage(b.server.services.meta, b.server.services.knex, 'acme-lab', systemContext());
    expect(rb.restored.sort()).toEqual(['dictionary/shiftList', 'entity/immuneCulture']);
    expect(rb.droppedFields).toEqual(['immuneCulture.operatorNote']);
    expect(b.server.services.meta.definition('entity', 'immuneCulture')).toEqual(file);
    expect(b.server.services.meta.definition('dictionary', 'shiftList')).toBeUndefined();
    // Rolled back, never lost: the dropped field's value is archived.
    const archived = await b.server.services.knex('ct_meta_archive').where({ entity: 'immuneCulture', field: 'operatorNote' });
    expect(archived.map((r: any) => r.value)).toEqual(['夜班接收']);

    // A second version of the package: the diff names what changed.
    const v2 = readPackage(dir);
    v2.manifest.version = '1.1.0';
    v2.definitions.dictionary.shiftList.items.push({ code: 'night', label: { 'zh-CN': '夜班' } });
    const dir2 = tmp();
    writePackage(dir2, v2);
    const d = diffPackages(readPackage(dir), readPackage(dir2));
    expect(d).toEqual([{ kind: 'dictionary', id: 'shiftList', change: 'changed', diff: [{ path: '/items/1', type: 'CREATE', from: undefined, to: { code: 'night', label: { 'zh-CN': '夜班' } } }] }]);
    const out = await cli(['config', 'package', 'diff', dir, dir2], {});
    expect(out.code).toBe(0);
    expect(out.out).toContain('changed   dictionary/shiftList');
    expect(out.out).toContain('CREATE /items/1');
  });

  it('layered with METADATA_DIRS: the package replaces the base definition; its upgrade plan finds the same conflict', async () => {
    await instance(); // registers the metadata kinds
    const layered = loadMetadataFiles([path.join(ROOT, BASE_N), ACME]);
    expect(Object.keys(layered.set.entity.immuneCulture.properties)).toContain('donorWard');
    expect(Object.keys(layered.baseSet!.entity.immuneCulture.properties)).not.toContain('donorWard');
    expect(layered.packages!.map((p) => p.manifest.name)).toEqual(['acme']);
    const next = loadMetadataFiles([path.join(ROOT, BASE_N1), ACME]);
    const plan = planUpgrade(packageCustomizations(readPackage(ACME)), next.baseSet!);
    const culture = plan.find((p) => p.id === 'immuneCulture')!;
    expect(culture.conflicts.map((c) => c.path)).toEqual(['/properties/cellType/maxLength']);
    expect(culture.merged.properties.viability).toEqual(next.baseSet!.entity.immuneCulture.properties.viability);
    expect(plan.find((p) => p.id === 'wardList')!.status).toBe('added');
  });
});
