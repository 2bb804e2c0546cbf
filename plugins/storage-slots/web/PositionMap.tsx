import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { Alert, Breadcrumb, Button, Card, Col, InputNumber, Progress, Row, Select, Space, Tag, Tooltip, Typography } from 'antd';

/**
 * The storage position map: choose a tank or freezer, drill down to a box, see every position
 * coloured by state, tap positions to choose them (or let a strategy recommend them), reserve them for five
 * minutes and stock in. Self-contained: it only needs an `api(path, {method, query, body})` that returns the
 * parsed JSON body (the shell's api helper) and the language. Touch targets are ≥ 36 px for tablets.
 */
export type Api = (path: string, opts?: { method?: 'GET' | 'POST' | 'DELETE' | 'PATCH'; query?: Record<string, unknown>; body?: unknown }) => Promise<any>;

export interface PositionMapProps {
  api?: Api;
  lang?: 'zh-CN' | 'en';
  /** Pre-selected batch for stock-in (e.g. opened from a batch record). */
  batch?: number;
  /** Called after a successful stock-in with the created record. */
  onStockedIn?: (record: Record<string, unknown>) => void;
  /**
   * Picker mode (the stock-in form's `positions` widget): no batch, reserve or stock-in controls; every change of
   * the chosen positions is reported through `onPick` and the form saves them.
   */
  picker?: boolean;
  onPick?: (positions: { container: number; row: number; col: number }[]) => void;
  /** Positions already chosen (picker mode), e.g. when the form is reopened. */
  initial?: { container: number; row: number; col: number }[];
  disabled?: boolean;
}

type Chosen = Map<string, { container: number; row: number; col: number; label: string }>;

const T = {
  'zh-CN': {
    device: '存储设备', choose: '选择液氮罐或冰箱', free: '空', reserved: '已预留', occupied: '已占用', blocked: '禁用', selected: '已选',
    recommend: '推荐孔位', strategy: '策略', vials: '管数', reserve: '预留所选', clear: '清除选择', stockIn: '入库到所选孔位', batch: '批次',
    chooseBatch: '选择冻存批次', reservedUntil: '预留至', capacity: '容量', utilisation: '使用率', back: '返回', done: '已入库', boxes: '盒',
    mineReserved: '我的预留', pickHint: '点击空孔位选择；再次点击取消', of: '/', chosenList: '已选孔位', none: '未选择：保存时按策略自动分配',
  },
  en: {
    device: 'Storage device', choose: 'Choose a tank or freezer', free: 'Empty', reserved: 'Reserved', occupied: 'Occupied', blocked: 'Blocked', selected: 'Chosen',
    recommend: 'Recommend', strategy: 'Strategy', vials: 'Vials', reserve: 'Reserve chosen', clear: 'Clear', stockIn: 'Stock in to chosen positions', batch: 'Batch',
    chooseBatch: 'Choose a cell batch', reservedUntil: 'Reserved until', capacity: 'Capacity', utilisation: 'Used', back: 'Back', done: 'Stocked in', boxes: 'boxes',
    mineReserved: 'My reservation', pickHint: 'Tap empty positions to choose them; tap again to undo', of: '/', chosenList: 'Chosen positions', none: 'None chosen: a strategy places the vials on save',
  },
};

const COLORS: Record<string, string> = { empty: '#f6ffed', reserved: '#fff7e6', occupied: '#1677ff', blocked: '#bfbfbf', selected: '#52c41a' };
const BORDER: Record<string, string> = { empty: '#b7eb8f', reserved: '#ffc53d', occupied: '#0958d9', blocked: '#8c8c8c', selected: '#389e0d' };

async function defaultApi(path: string, opts: { method?: string; query?: Record<string, unknown>; body?: unknown } = {}) {
  const qs = new URLSearchParams(Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [k, String(v)]));
  const csrf = document.cookie.split(';').map((c) => c.trim().split('=')).find(([k]) => k === 'ct_csrf')?.[1];
  const res = await fetch(qs.toString() ? `${path}?${qs}` : path, {
    method: opts.method ?? (opts.body ? 'POST' : 'GET'), credentials: 'include',
    headers: { Accept: 'application/json', ...(opts.body ? { 'Content-Type': 'application/json' } : {}), ...(csrf ? { 'X-CSRF-Token': decodeURIComponent(csrf) } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? res.statusText);
  return body;
}

interface Node { id: number; code: string; name?: string; path?: string; holdsVials: boolean; capacity: number; free: number; reserved: number; occupied: number; blocked: number; level?: string }
interface Cell { id: number; row: number; col: number; ordinal: number; label: string; state: string; mine?: boolean; reservedUntil?: string; note?: string; vial?: { id: number; code: string; batchCode: string; cellType: string; freezeDate: string } }
interface BoxMap { container: { id: number; code: string; path: string }; layout: { rows: number; cols: number }; rowHeaders: string[]; colHeaders: string[]; positions: Cell[] }

const key = (c: { row: number; col: number }) => `${c.row}:${c.col}`;

export default function PositionMap({ api = defaultApi as Api, lang = 'zh-CN', batch: initialBatch, onStockedIn, picker, onPick, initial, disabled }: PositionMapProps) {
  const t = T[lang] ?? T['zh-CN'];
  const [devices, setDevices] = useState<any[]>([]);
  const [device, setDevice] = useState<number>();
  const [trail, setTrail] = useState<Node[]>([]);
  const [children, setChildren] = useState<Node[]>([]);
  const [map, setMap] = useState<BoxMap | null>(null);
  const [chosen, setChosenState] = useState<Chosen>(() => new Map((initial ?? []).map((p) => [`${p.container}:${p.row}:${p.col}`, { ...p, label: `#${p.container} ${p.row}-${p.col}` }])));
  const setChosen = (m: Chosen) => {
    setChosenState(m);
    onPick?.([...m.values()].map(({ container, row, col }) => ({ container, row, col })));
  };
  const [token, setToken] = useState<{ token: string; expiresAt: string } | null>(null);
  const [n, setN] = useState<number>(1);
  const [strategy, setStrategy] = useState('keep-together');
  const [strategies, setStrategies] = useState<{ name: string; label: Record<string, string> }[]>([]);
  const [batch, setBatch] = useState<number | undefined>(initialBatch);
  const [batches, setBatches] = useState<any[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void run(async () => {
      setDevices((await api('/api/v1/storage/utilisation')).data);
      setStrategies((await api('/api/v1/storage/strategies')).data);
      if (!picker) setBatches((await api('/api/v1/data/cellBatch', { query: { limit: 100, sort: '-id', fields: 'id,batchCode,cellType,vialCount' } })).data);
    });
  }, [api, run, picker]);

  const openDevice = (id: number) =>
    run(async () => {
      setDevice(id);
      setTrail([]);
      setMap(null);
      setChildren((await api('/api/v1/storage/containers', { query: { device: id } })).data);
    });

  const open = (node: Node, depth: number) =>
    run(async () => {
      const next = [...trail.slice(0, depth), node];
      setTrail(next);
      if (node.holdsVials) {
        setMap((await api(`/api/v1/storage/containers/${node.id}/map`)).data);
        setChildren([]);
      } else {
        setMap(null);
        setChildren((await api('/api/v1/storage/containers', { query: { parent: node.id } })).data);
      }
    });

  const reloadMap = async () => {
    if (map) setMap((await api(`/api/v1/storage/containers/${map.container.id}/map`)).data);
  };

  const toggle = (c: Cell) => {
    if (disabled || !map || !(c.state === 'empty' || (c.state === 'reserved' && c.mine))) return;
    const m = new Map(chosen);
    if (m.has(`${map.container.id}:${key(c)}`)) m.delete(`${map.container.id}:${key(c)}`);
    else m.set(`${map.container.id}:${key(c)}`, { container: map.container.id, row: c.row, col: c.col, label: `${map.container.path} ${c.label}` });
    setChosen(m);
    setToken(null);
  };

  const recommendNow = () =>
    run(async () => {
      if (token) await api(`/api/v1/storage/reservations/${token.token}`, { method: 'DELETE' });
      const r = (await api('/api/v1/storage/recommend', { body: { n, strategy, batch, device } })).data;
      const m: Chosen = new Map();
      for (const p of r.positions) m.set(`${p.container}:${p.row}:${p.col}`, { container: p.container, row: p.row, col: p.col, label: p.label });
      setChosen(m);
      setToken(r.token ? { token: r.token, expiresAt: r.expiresAt } : null);
      const first = r.positions[0];
      if (first) {
        setMap((await api(`/api/v1/storage/containers/${first.container}/map`)).data);
        setChildren([]);
      }
    });

  const reserveChosen = () =>
    run(async () => {
      const r = (await api('/api/v1/storage/reservations', { body: { positions: [...chosen.values()].map(({ container, row, col }) => ({ container, row, col })) } })).data;
      setToken({ token: r.token, expiresAt: r.expiresAt });
      await reloadMap();
    });

  const stockIn = () =>
    run(async () => {
      const positions = [...chosen.values()].map(({ container, row, col }) => ({ container, row, col }));
      const rec = (await api('/api/v1/data/stockIn', { body: { batch, vialCount: positions.length, positions, reservationToken: token?.token } })).data;
      setInfo(`${t.done}: ${rec.stockInNo} — ${rec.positionSummary ?? ''}`);
      setChosen(new Map());
      setToken(null);
      await reloadMap();
      onStockedIn?.(rec);
    });

  const chosenHere = useMemo(() => new Set([...chosen.keys()].filter((k) => map && k.startsWith(`${map.container.id}:`)).map((k) => k.split(':').slice(1).join(':'))), [chosen, map]);
  // Positions as large as the space allows (a whole box in view on a 1024×768 tablet), never under a 36 px touch target.
  const gridRef = useRef<HTMLDivElement>(null);
  const [room, setRoom] = useState({ width: 720, height: 560 });
  useEffect(() => {
    const measure = () => {
      const el = gridRef.current;
      const top = el ? el.getBoundingClientRect().top + window.scrollY : 330;
      setRoom({ width: el?.clientWidth || 720, height: Math.max(window.innerHeight - Math.min(top, 360) - 24, 300) });
    };
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [map?.container.id]);
  const cellSize = map
    ? Math.max(36, Math.min(56, Math.floor((room.width - 32) / Math.max(map.layout.cols, 1)) - 4, Math.floor((room.height - 28) / Math.max(map.layout.rows, 1)) - 4))
    : 40;

  const legend = (['empty', 'reserved', 'occupied', 'blocked', 'selected'] as const).map((s) => (
    <Tag key={s} style={{ background: COLORS[s], borderColor: BORDER[s], color: s === 'occupied' ? '#fff' : undefined }}>{t[s === 'empty' ? 'free' : s]}</Tag>
  ));

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="position-map">
      <Space wrap size="middle">
        <Select style={{ minWidth: 260 }} size="large" placeholder={t.choose} value={device} onChange={openDevice}
          options={devices.map((d) => ({ value: d.id, label: `${d.name} (${d.code}) · ${d.free}/${d.capacity}` }))} data-testid="device-select" />
        {!picker && (
          <Select style={{ minWidth: 240 }} size="large" placeholder={t.chooseBatch} value={batch} onChange={setBatch} allowClear showSearch optionFilterProp="label"
            options={batches.map((b) => ({ value: b.id, label: `${b.batchCode} · ${b.cellType}` }))} data-testid="batch-select" />
        )}
      </Space>
      {device && (
        <Breadcrumb
          items={[
            { title: <a onClick={() => openDevice(device)}>{devices.find((d) => d.id === device)?.code ?? t.device}</a> },
            ...trail.map((node, i) => ({ title: <a onClick={() => open(node, i)}>{node.name ?? node.code}</a> })),
          ]}
        />
      )}
      {error && <Alert type="error" showIcon message={error} closable onClose={() => setError(null)} />}
      {info && <Alert type="success" showIcon message={info} closable onClose={() => setInfo(null)} />}
      <Space wrap>
        <InputNumber size="large" min={1} max={500} value={n} onChange={(v) => setN(Number(v) || 1)} prefix={t.vials} style={{ width: 150 }} />
        <Select size="large" value={strategy} onChange={setStrategy} style={{ minWidth: 200 }} options={strategies.map((s) => ({ value: s.name, label: s.label[lang] ?? s.name }))} />
        <Button size="large" type="primary" onClick={recommendNow} loading={busy} disabled={!device && !strategies.length} data-testid="recommend">{t.recommend}</Button>
        {!picker && <Button size="large" onClick={reserveChosen} disabled={!chosen.size || !!token}>{t.reserve}</Button>}
        <Button size="large" onClick={() => { setChosen(new Map()); if (token) void api(`/api/v1/storage/reservations/${token.token}`, { method: 'DELETE' }).then(reloadMap); setToken(null); }} disabled={!chosen.size}>{t.clear}</Button>
        {!picker && <Button size="large" type="primary" onClick={stockIn} disabled={!chosen.size || !batch} data-testid="stock-in">{t.stockIn} ({chosen.size})</Button>}
      </Space>
      {picker && (
        <div data-testid="chosen-positions" aria-live="polite">
          <Typography.Text strong>{t.chosenList} ({chosen.size}): </Typography.Text>
          {chosen.size ? [...chosen.values()].sort((a, b) => a.container - b.container || a.row - b.row || a.col - b.col).map((c) => <Tag key={`${c.container}:${c.row}:${c.col}`} color="green">{c.label}</Tag>) : <Typography.Text type="secondary">{t.none}</Typography.Text>}
        </div>
      )}
      {token && <Typography.Text type="warning">{t.reservedUntil} {new Date(token.expiresAt).toLocaleTimeString()}</Typography.Text>}
      {!map && children.length > 0 && (
        <Row gutter={[12, 12]}>
          {children.map((c) => (
            <Col key={c.id} xs={12} sm={8} md={6} lg={4}>
              <Card hoverable size="small" onClick={() => open(c, trail.length)} title={c.name ?? c.code} data-testid={`node-${c.code}`}>
                <Progress percent={c.capacity ? Math.round((100 * (c.capacity - c.free)) / c.capacity) : 0} size="small" />
                <Typography.Text type="secondary">{c.free} {t.free} {t.of} {c.capacity}</Typography.Text>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      {map && (
        <Card size="small" title={map.container.path} extra={<Space size={4} wrap>{legend}</Space>}>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>{t.pickHint}</Typography.Paragraph>
          <div ref={gridRef} style={{ overflowX: 'auto' }}>
            <div style={{ display: 'grid', gridTemplateColumns: `28px repeat(${map.layout.cols}, ${cellSize}px)`, gap: 4, width: 'max-content' }}>
              <div />
              {map.colHeaders.map((h, i) => <div key={`c${i}`} style={{ textAlign: 'center', fontWeight: 600 }}>{h}</div>)}
              {map.rowHeaders.map((rh, r) => [
                <div key={`r${r}`} style={{ display: 'flex', alignItems: 'center', fontWeight: 600 }}>{rh}</div>,
                ...map.positions.filter((p) => p.row === r + 1).sort((a, b) => a.col - b.col).map((p) => {
                  const state = chosenHere.has(key(p)) ? 'selected' : p.state;
                  const style: CSSProperties = {
                    width: cellSize, height: cellSize, borderRadius: '50%', border: `2px solid ${BORDER[state]}`, background: COLORS[state],
                    color: state === 'occupied' || state === 'selected' ? '#fff' : '#595959', fontSize: 11, padding: 0, cursor: state === 'empty' || state === 'selected' ? 'pointer' : 'default',
                  };
                  const tip = p.vial ? `${p.label} · ${p.vial.code} · ${p.vial.cellType} · ${p.vial.freezeDate}` : p.state === 'blocked' ? `${p.label} · ${t.blocked} ${p.note ?? ''}` : `${p.label} · #${p.ordinal}`;
                  return (
                    <Tooltip key={p.id} title={tip}>
                      <button type="button" style={style} onClick={() => toggle(p)} aria-label={tip} aria-pressed={state === 'selected'} data-testid={`pos-${p.label}`} data-state={state}>
                        {p.ordinal}
                      </button>
                    </Tooltip>
                  );
                }),
              ])}
            </div>
          </div>
        </Card>
      )}
    </div>
  );
}
