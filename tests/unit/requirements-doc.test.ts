import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../platform/config';
import { buildRequirementsDoc, parseRequirements, REQUIREMENTS_DOC, REQUIREMENTS_FILE } from '../../platform/cli/requirements';

const ROOT = path.resolve(__dirname, '../..');

describe('docs/requirements.md (requirements traceability)', () => {
  const doc = buildRequirementsDoc();

  test('is up to date with requirements.en.md, the metadata, the plugins and the test titles', () => {
    const onDisk = fs.existsSync(REQUIREMENTS_DOC) ? fs.readFileSync(REQUIREMENTS_DOC, 'utf8') : '';
    if (onDisk !== doc.markdown) throw new Error('docs/requirements.md is stale: run `npm run docs:requirements` and commit the result');
  });

  test('metadata, plugins and tests name only requirement IDs that requirements.en.md has', () => {
    expect(doc.unknown.map((m) => `${m.id} in ${m.what} (${m.file})`)).toEqual([]);
  });

  test('lists every requirement in order, with what declares it or "not yet covered"', () => {
    const ids = parseRequirements(fs.readFileSync(REQUIREMENTS_FILE, 'utf8')).map((r) => r.id);
    const rows = [...doc.markdown.matchAll(/^\| (R-[\d.]+) \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(ids);
    expect(doc.markdown).toMatch(/^\| R-3\.4\.2 \| Liquid-nitrogen tank management \|.*\[entity storageDevice\]\(\.\.\/metadata\/cellbank\/entities\/storageDevice\.json\)/m);
    expect(doc.markdown).toMatch(/^\| R-3\.4\.2 \|.*\[storage-slots\]\(\.\.\/plugins\/storage-slots\/requirements\.json\)/m);
    expect(doc.markdown).toMatch(/^\| R-3\.4\.2 \|.*\[menu Cell bank › Storage › Empty-slot warnings\]/m);
    expect(doc.markdown).toMatch(/^\| R-3\.7\.6 \|.*\[R-3\.7\.6 numbering segments\]\(\.\.\/tests\/unit\/numbering\.test\.ts\)/m);
    expect(doc.markdown).toMatch(/^\| R-1\.5 \| Per-centre workload statistics as a basis for staff performance review \|.*\[report workloadByTechnician\]/m);
    expect(doc.markdown).toMatch(/^\| R-2\.1 \| Systematic \| \*not yet covered\* \|/m);
    expect(doc.markdown).toMatch(/^\| R-3\.2\.3 \| Culture material templates \| \[entity cultureMaterialTemplate\]/m);
  });

  test('an unknown ID in an overlay metadata root is reported with its file, and a bad ID fails the meta-schema', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-req-'));
    try {
      fs.mkdirSync(path.join(dir, 'extra', 'dictionaries'), { recursive: true });
      const dict = { $id: 'reqProbe', kind: 'dictionary', label: { 'zh-CN': '探针', en: 'Probe' }, items: [], 'x-requirements': ['R-9.9.9'] };
      fs.writeFileSync(path.join(dir, 'extra', 'dictionaries', 'reqProbe.json'), JSON.stringify(dict));
      const config = loadConfig({ ...process.env, METADATA_DIRS: ['metadata', dir].join(path.delimiter) }, ROOT);
      const withOverlay = buildRequirementsDoc({ config });
      expect(withOverlay.unknown).toEqual([expect.objectContaining({ id: 'R-9.9.9', what: 'dictionary reqProbe', file: expect.stringContaining('reqProbe.json') })]);
      fs.writeFileSync(path.join(dir, 'extra', 'dictionaries', 'reqProbe.json'), JSON.stringify({ ...dict, 'x-requirements': ['3.4.2'] }));
      expect(() => buildRequirementsDoc({ config })).toThrow(/reqProbe\.json \/x-requirements\/0/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing requirements.en.md fails with a message naming where it is expected', () => {
    expect(() => buildRequirementsDoc({ requirementsFile: path.join(os.tmpdir(), 'no-such-dir', 'requirements.en.md') })).toThrow(
      /requirements file not found: .*no-such-dir.*\n.*\.\.\/shared\/seed/,
    );
  });
});
