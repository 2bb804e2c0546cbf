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
});
