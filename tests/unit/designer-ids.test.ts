// Field, role and definition ids generated from what an admin types in Chinese (web/src/admin/ids.ts).
import { pinyin } from 'pinyin-pro';
import { idFromLabel, isSafeId, labelWords } from '../../web/src/admin/ids';
import { formatDuration, parseDuration } from '../../web/src/admin/duration';

const py = (han: string) => pinyin(han, { toneType: 'none', type: 'array', v: true });

test('a Chinese label becomes camelCase pinyin, ASCII kept, symbols dropped', () => {
  expect(idFromLabel('细胞活率', py)).toBe('xiBaoHuoLv');
  expect(idFromLabel('CD8+比例(%)', py)).toBe('cd8BiLi');
  expect(idFromLabel('无菌检测结果', py)).toBe('wuJunJianCeJieGuo');
  expect(idFromLabel('技术员', py, [], { fallback: 'role' })).toBe('jiShuYuan');
  expect(labelWords('IL-2 添加', py)).toEqual(['IL', '2', 'tian', 'jia']);
});

test('polyphonic characters follow the word (长度 is chang, 行长 is hang zhang)', () => {
  expect(idFromLabel('长度', py)).toBe('changDu');
  expect(idFromLabel('银行行长', py)).toBe('yinHangHangZhang');
});

test('ids are unique, never reserved, never a leading digit or a ct… platform name, and bounded', () => {
  expect(idFromLabel('备注', py, ['beiZhu'])).toBe('beiZhu2');
  expect(idFromLabel('备注', py, ['beiZhu', 'beiZhu2'])).toBe('beiZhu3');
  expect(idFromLabel('ID', py)).toBe('fieldId');
  expect(idFromLabel('2号罐', py)).toBe('field2HaoGuan');
  expect(idFromLabel('CT 扫描', py)).toBe('fieldCtSaoMiao');
  expect(idFromLabel('（）', py)).toBe('field');
  const long = idFromLabel('一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十', py);
  expect(long.length).toBeLessThanOrEqual(48);
  expect(isSafeId(long)).toBe(true);
  for (const label of ['细胞活率', 'CD8+比例(%)', 'ID', '2号罐', '（）', 'createdAt'])
    expect(isSafeId(idFromLabel(label, py, ['field']))).toBe(true);
});

describe('durations as number + unit', () => {
  test('ISO → number + unit → the same ISO', () => {
    expect(parseDuration('PT24H')).toEqual({ amount: 24, unit: 'hour' });
    expect(parseDuration('P2D')).toEqual({ amount: 2, unit: 'day' });
    expect(parseDuration('PT30M')).toEqual({ amount: 30, unit: 'minute' });
    expect(parseDuration('PT90M')).toEqual({ amount: 90, unit: 'minute' });
    expect(parseDuration('PT120M')).toEqual({ amount: 2, unit: 'hour' });
    expect(parseDuration('P1DT12H')).toEqual({ amount: 36, unit: 'hour' });
    expect(parseDuration('P1W')).toEqual({ amount: 7, unit: 'day' });
    for (const iso of ['PT24H', 'P2D', 'PT30M', 'PT90M', 'PT4H', 'P7D']) {
      const d = parseDuration(iso)!;
      expect(formatDuration(d.amount, d.unit)).toBe(iso);
    }
    expect(formatDuration(24, 'hour')).toBe('PT24H');
  });
  test('what the editor cannot show is reported, not guessed', () => {
    for (const iso of ['P1M', 'P1Y', 'PT30S', 'P', 'PT', '24h', '']) expect(parseDuration(iso)).toBeNull();
  });
});
