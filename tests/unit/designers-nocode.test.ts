// The no-code designers' translations (issue 16 item 5): ids from a Chinese label (web/src/admin/ids.ts), durations as
// number + unit (duration.ts), conditions as builder rows over JSON Logic (logic.ts).
import { pinyin } from 'pinyin-pro';
import { idFromLabel, isSafeId, labelWords } from '../../web/src/admin/ids';
import { formatDuration, parseDuration } from '../../web/src/admin/duration';
import { EN_WORDS, ZH_WORDS, groupToLogic, logicToGroup, sentence, type Group } from '../../web/src/admin/logic';
import jsonLogic from 'json-logic-js';

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

describe('conditions: JSON Logic ↔ builder rows', () => {
  const labels: Record<string, string> = { sterility: '无菌', mycoplasma: '支原体', viability: '活率', state: '状态', note: '备注', createdBy: '创建人' };
  const values: Record<string, string> = { positive: '阳性', negative: '阴性', approved: '已批准' };
  const say = (logic: unknown, words = ZH_WORDS) => sentence(logicToGroup(logic)!, words, (f) => labels[f] ?? f, (_f, v) => (typeof v === 'string' ? values[v] ?? v : v && typeof v === 'object' && !Array.isArray(v) ? '当前用户' : String(v)));

  test('the shipped QC release guard reads as a sentence and round-trips unchanged', () => {
    const guard = { and: [{ '!=': [{ var: 'sterility' }, 'positive'] }, { '!=': [{ var: 'mycoplasma' }, 'positive'] }] };
    expect(logicToGroup(guard)).toEqual({ all: true, rules: [{ field: 'sterility', op: '!=', value: 'positive' }, { field: 'mycoplasma', op: '!=', value: 'positive' }] });
    expect(groupToLogic(logicToGroup(guard)!)).toEqual(guard);
    expect(say(guard)).toBe('当 无菌 不等于 阳性 且 支原体 不等于 阳性');
    expect(say(guard, EN_WORDS)).toBe('When 无菌 is not 阳性 and 支原体 is not 阳性');
  });

  test('every operator, any-of, nested groups and actor facts round-trip; the engine reads them as meant', () => {
    const g: Group = {
      all: false,
      rules: [
        { field: 'viability', op: '>', value: 90 },
        { field: 'viability', op: '<=', value: 50 },
        { field: 'note', op: 'empty' },
        { all: true, rules: [{ field: 'state', op: 'in', value: ['approved', 'negative'] }, { field: 'note', op: 'notEmpty' }, { field: 'createdBy', op: '==', value: { var: '$actor.id' } }] },
      ],
    };
    const logic = groupToLogic(g)!;
    expect(logicToGroup(logic)).toEqual(g);
    expect(say(logic)).toBe('当 活率 大于 90 或 活率 小于或等于 50 或 备注 为空 或 （状态 属于 已批准、阴性 且 备注 不为空 且 创建人 等于 当前用户）');
    const apply = (data: Record<string, unknown>) => jsonLogic.truthy(jsonLogic.apply(logic as any, data));
    expect(apply({ viability: 95, note: 'x' })).toBe(true);
    expect(apply({ viability: 70, note: 'x' })).toBe(false);
    expect(apply({ viability: 70 })).toBe(true); // note empty
    expect(apply({ viability: 70, note: '' })).toBe(true);
    expect(apply({ viability: 70, note: 'x', state: 'approved', createdBy: 3, $actor: { id: 3 } })).toBe(true);
    expect(apply({ viability: 70, note: 'x', state: 'approved', createdBy: 3, $actor: { id: 4 } })).toBe(false);
    // Plain JS truthiness (the QC gate plugin's `when`) agrees: the builder writes booleans.
    expect(jsonLogic.apply(groupToLogic({ all: true, rules: [{ field: 'note', op: 'empty' }] }) as any, { note: 'x' })).toBe(false);
  });

  test('one row is stored bare; no rows is no condition; logic the builder cannot show is reported as such', () => {
    const one = { '==': [{ var: 'sterility' }, 'negative'] };
    expect(groupToLogic(logicToGroup(one)!)).toEqual(one);
    expect(groupToLogic({ all: true, rules: [] })).toBeUndefined();
    expect(logicToGroup(undefined)).toEqual({ all: true, rules: [] });
    expect(logicToGroup({ '===': [{ var: 'state' }, 'approved'] })).toEqual({ all: true, rules: [{ field: 'state', op: '==', value: 'approved' }] });
    expect(logicToGroup({ '!': { var: 'note' } })).toEqual({ all: true, rules: [{ field: 'note', op: 'empty' }] });
    for (const odd of [{ '+': [1, 2] }, { '==': [{ var: 'a' }, { var: 'b' }] }, { if: [true, 1, 2] }, { and: [{ '==': [1, 1] }] }, { '==': [{ var: 'a' }, 1], '!=': [{ var: 'b' }, 2] }, 'text'])
      expect(logicToGroup(odd)).toBeNull();
  });
});
