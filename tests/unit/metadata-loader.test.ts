import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerKindsFor } from '../../platform/server';
import { loadMetadataFiles, MetadataError } from '../../platform/metadata/loader';

beforeAll(() => registerKindsFor([]));

describe('metadata loader', () => {
  it('loads the shipped metadata without problems', () => {
    const { set } = loadMetadataFiles([path.resolve(__dirname, '../../metadata')]);
    expect(set.entity.cultureRecord.properties.cd3Ratio).toBeDefined();
    expect(set.form.cultureRecord.variants.map((v: any) => v.key)).toEqual(['stem', 'immune']);
  });

  it('an invalid file stops start-up naming the file, the JSON pointer and the reason', () => {
    let err: unknown;
    try {
      loadMetadataFiles([path.resolve(__dirname, '../fixtures/metadata-bad')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MetadataError);
    const p = (err as MetadataError).problems[0];
    expect(p.file).toMatch(/metadata-bad\/lab\/entities\/broken\.json$/);
    expect(p.path).toBe('/properties/weight/x-precision');
    expect(p.message).toMatch(/<= 38/);
    expect((err as Error).message).toContain('broken.json /properties/weight/x-precision');
  });

  describe('embedded JSON Schemas are compiled strictly (an unknown keyword fails at load, not at the first write)', () => {
    const load = (entity: object) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-meta-'));
      fs.mkdirSync(path.join(root, 'lab', 'entities'), { recursive: true });
      fs.writeFileSync(path.join(root, 'lab', 'entities', 'typo.json'), JSON.stringify(entity));
      try {
        loadMetadataFiles([root]);
        return undefined;
      } catch (e) {
        return e as MetadataError;
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    };
    const entity = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      $id: 'typo', type: 'object', 'x-label': { 'zh-CN': '错字', en: 'Typo' }, properties: props, ...extra,
    });
    const label = { 'zh-CN': '数', en: 'Count' };

    it.each([
      ['a typo in a property', { n: { type: 'integer', minimun: 1, 'x-label': label } }, {}, '/properties/n/minimun', 'Unknown JSON Schema keyword: minimun'],
      ['a typo at the top', { n: { type: 'integer', 'x-label': label } }, { requried: ['n'] }, '/requried', 'Unknown JSON Schema keyword: requried'],
      ['a typo inside allOf', { n: { type: 'integer', 'x-label': label } }, { allOf: [{ if: { properties: { n: { const: 1 } } }, then: { requird: ['n'] } }] }, '/allOf/0/then/requird', 'Unknown JSON Schema keyword: requird'],
      ['an unknown x- keyword', { n: { type: 'integer', 'x-lable': label, 'x-label': label } }, {}, '/properties/n/x-lable', 'Unknown JSON Schema keyword: x-lable'],
      ['a keyword with a wrong value', { n: { type: 'integer', minimum: 'one', 'x-label': label } }, {}, '/properties/n/minimum', 'The JSON Schema does not compile: must be number'],
    ])('%s', (_, props, extra, pointer, message) => {
      const err = load(entity(props, extra));
      expect(err).toBeInstanceOf(MetadataError);
      expect(err!.problems).toEqual([{ file: expect.stringMatching(/lab\/entities\/typo\.json$/), path: pointer, message }]);
      expect(err!.message).toContain(`typo.json ${pointer}: ${message}`);
    });

    it('the same schema without the typo loads', () => {
      expect(load(entity({ n: { type: 'integer', minimum: 1, 'x-label': label } }))).toBeUndefined();
    });
  });
});
