import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AllCommunityModule, ModuleRegistry, themeQuartz, type GridApi, type IDatasource, type SortModelItem } from 'ag-grid-community';
import { AgGridReact } from 'ag-grid-react';
import { AG_GRID_LOCALE_CN } from '@ag-grid-community/locale';
import { App, Button, Checkbox, Input, Popover, Result, Select, Space, Tag, Tooltip, Typography } from 'antd';
import {
  DeleteOutlined, DownloadOutlined, PlusOutlined, ReloadOutlined, SaveOutlined, TableOutlined, UploadOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, apiUrl, errorText } from '../api';
import { useAuth } from '../auth';
import { currentLang, pick } from '../i18n';
import { fieldLabel, useMeta } from '../meta';
import { navigate, useLocation } from '../router';
import { buildFilter, buildSort, type ApiFilter } from '../lib/filters';
import { buildColumnDefs, columnInfos, columnKind } from '../list/columns';
import { loadViews, saveViews, type SavedView } from '../list/views';
import { useCrumbs } from '../shell/crumbs';
import ImportDialog from '../list/ImportDialog';

ModuleRegistry.registerModules([AllCommunityModule]);

const PAGE = 100;
const theme = themeQuartz.withParams({ fontSize: 13, headerFontWeight: 600, spacing: 6 });

export default function ListPage({ listId }: { listId: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const meta = useMeta();
  const { user } = useAuth();
  const { message, modal } = App.useApp();
  const list = meta.lists[listId];
  const entity = list?.entity ?? '';
  const gridRef = useRef<GridApi | null>(null);
  const quickRef = useRef('');
  const lastQuery = useRef<{ filter?: ApiFilter; sort: string }>({ sort: '' });
  const [quick, setQuick] = useState('');
  const [rowInfo, setRowInfo] = useState<{ loaded: number; total?: number } | null>(null);
  const [visible, setVisible] = useState<string[]>(list?.columns ?? []);
  const [views, setViews] = useState(() => loadViews(user?.id, listId));
  const [importOpen, setImportOpen] = useState(false);
  // A filter in the address (a dashboard tile's drill-down: `?filter=<JSON>&caption=<words>`), ANDed with the grid's own.
  const loc = useLocation();
  const urlFilterText = loc.search.get('filter');
  const caption = loc.search.get('caption');
  const urlFilter = useMemo<ApiFilter | undefined>(() => {
    if (!urlFilterText) return undefined;
    try {
      const f = JSON.parse(urlFilterText) as unknown;
      return f && typeof f === 'object' && !Array.isArray(f) ? (f as ApiFilter) : undefined;
    } catch {
      return undefined;
    }
  }, [urlFilterText]);

  const listLabel = pick(list?.label, lang, listId);
  useCrumbs(list ? [{ title: listLabel }] : []);

  const infos = useMemo(() => (list ? columnInfos(meta, entity) : {}), [meta, entity, list]);
  // Columns: the list's own, then the rest of the entity's scalar fields (hidden) for the chooser.
  const allColumns = useMemo(() => {
    if (!list) return [];
    const extra = Object.keys(meta.entities[entity]?.properties ?? {}).filter((c) => !list.columns.includes(c));
    return [...list.columns, ...extra];
  }, [list, meta, entity]);
  const columnDefs = useMemo(() => {
    const defs = buildColumnDefs(meta, entity, allColumns);
    return defs.map((d) => ({ ...d, hide: !visible.includes(d.colId!) }));
    // Column visibility afterwards goes through the grid API so the grid keeps its state.
    // eslint-disable-next-line
  }, [meta, entity, allColumns, lang]);

  const datasource = useMemo<IDatasource>(
    () => ({
      getRows: (params) => {
        if (!list) return params.failCallback();
        const own = buildFilter(params.filterModel as Record<string, unknown>, infos, { text: quickRef.current, fields: list.quickSearch ?? [] });
        const filter = own && urlFilter ? ({ and: [urlFilter, own] } as ApiFilter) : (own ?? urlFilter);
        const sort = buildSort(params.sortModel as SortModelItem[], list.defaultSort ?? []);
        lastQuery.current = { filter, sort };
        const refs = allColumns.filter((c) => (infos[c]?.kind === 'ref' && !meta.entities[entity]?.properties[c]?.['x-user']) || c === 'createdBy' || c === 'updatedBy');
        api<{ data: Record<string, unknown>[]; page?: { total?: number } }>(`/api/v1/data/${entity}`, {
          query: {
            filter: filter ? JSON.stringify(filter) : undefined,
            sort: sort || undefined,
            limit: PAGE,
            offset: params.startRow,
            expand: refs.length ? refs.join(',') : undefined,
            count: params.startRow === 0 ? true : undefined,
          },
        })
          .then((body) => {
            const rows = body.data ?? [];
            const last = rows.length < PAGE ? params.startRow + rows.length : -1;
            params.successCallback(rows, last);
            setRowInfo((prev) => ({
              loaded: params.startRow + rows.length,
              total: params.startRow === 0 ? body.page?.total : prev?.total,
            }));
          })
          .catch((e: unknown) => {
            params.failCallback();
            void message.error(errorText(e));
          });
      },
    }),
    [list, entity, infos, allColumns, message, urlFilter],
  );

  // Quick search: debounce, then restart paging from the top.
  useEffect(() => {
    const h = window.setTimeout(() => {
      if (quickRef.current === quick) return;
      quickRef.current = quick;
      gridRef.current?.purgeInfiniteCache();
    }, 350);
    return () => window.clearTimeout(h);
  }, [quick]);

  const applyView = useCallback(
    (v: SavedView | null) => {
      const api = gridRef.current;
      const cols = v?.columns ?? list?.columns ?? [];
      setVisible(cols);
      if (api) {
        const order = [...cols, ...allColumns.filter((c) => !cols.includes(c))];
        api.applyColumnState({
          state: order.map((c) => ({ colId: c, hide: !cols.includes(c), sort: v?.sort.find((s) => s.colId === c)?.sort ?? null })),
          applyOrder: true,
        });
        api.setFilterModel(v?.filter ?? null);
      }
      quickRef.current = v?.quick ?? '';
      setQuick(v?.quick ?? '');
      api?.purgeInfiniteCache();
    },
    [list, allColumns],
  );

  const currentState = (): SavedView => {
    const api = gridRef.current!;
    const state = api.getColumnState();
    return {
      columns: state.filter((s) => !s.hide).map((s) => s.colId),
      sort: state.filter((s) => s.sort).map((s) => ({ colId: s.colId, sort: s.sort! })),
      filter: api.getFilterModel() as Record<string, unknown>,
      quick,
    };
  };

  const saveView = () => {
    let name = views.current ?? '';
    modal.confirm({
      title: t('list.saveView'),
      icon: <SaveOutlined />,
      content: <Input aria-label={t('list.viewName')} placeholder={t('list.viewName')} defaultValue={name} onChange={(e) => (name = e.target.value)} autoFocus />,
      onOk: () => {
        const n = name.trim();
        if (!n) return Promise.reject(new Error('empty'));
        const next = { views: { ...views.views, [n]: currentState() }, current: n };
        setViews(next);
        saveViews(user?.id, listId, next);
        void message.success(t('list.viewSaved'));
        return undefined;
      },
    });
  };

  const chooseView = (name: string | null) => {
    const next = { ...views, current: name ?? undefined };
    setViews(next);
    saveViews(user?.id, listId, next);
    applyView(name ? (views.views[name] ?? null) : null);
  };

  const deleteView = () => {
    if (!views.current) return;
    const rest = { ...views.views };
    delete rest[views.current];
    const next = { views: rest };
    setViews(next);
    saveViews(user?.id, listId, next);
    applyView(null);
  };

  const setColumnVisible = (cols: string[]) => {
    setVisible(cols);
    const api = gridRef.current;
    if (!api) return;
    api.setColumnsVisible(allColumns.filter((c) => cols.includes(c)), true);
    api.setColumnsVisible(allColumns.filter((c) => !cols.includes(c)), false);
  };

  const exportHref = () => {
    const visibleCols = gridRef.current?.getColumnState().filter((s) => !s.hide).map((s) => s.colId) ?? visible;
    return apiUrl(`/api/v1/data/${entity}/export`, {
      format: 'xlsx',
      filter: lastQuery.current.filter ? JSON.stringify(lastQuery.current.filter) : undefined,
      sort: lastQuery.current.sort || undefined,
      fields: visibleCols.join(','),
    });
  };

  if (!list) return <Result status="404" title={t('list.unknownList', { id: listId })} />;

  const chooser = (
    <div style={{ maxHeight: 360, overflow: 'auto' }}>
      <Checkbox.Group
        style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
        value={visible}
        onChange={(v) => setColumnVisible(v as string[])}
        options={allColumns.map((c) => ({ value: c, label: fieldLabel(meta, entity, c, lang), disabled: columnKind(meta.entities[entity]?.properties[c]) === 'none' && !visible.includes(c) }))}
      />
      <Button type="link" size="small" style={{ paddingLeft: 0 }} onClick={() => setColumnVisible(list.columns)}>
        {t('list.resetColumns')}
      </Button>
    </div>
  );

  return (
    <div className="ct-page ct-list">
      <div className="ct-toolbar">
        <Typography.Title level={4} style={{ margin: 0, marginRight: 8 }}>
          {listLabel}
        </Typography.Title>
        <Input.Search
          allowClear
          aria-label={t('list.quickSearch')}
          placeholder={t('list.quickSearch')}
          value={quick}
          onChange={(e) => setQuick(e.target.value)}
          onSearch={(v) => {
            quickRef.current = v;
            setQuick(v);
            gridRef.current?.purgeInfiniteCache();
          }}
          style={{ width: 200 }}
        />
        <Select
          aria-label={t('list.views')}
          placeholder={t('list.defaultView')}
          allowClear
          style={{ width: 140 }}
          value={views.current ?? null}
          onChange={(v) => chooseView(v ?? null)}
          options={Object.keys(views.views).map((n) => ({ value: n, label: n }))}
        />
        <Tooltip title={t('list.saveView')}>
          <Button aria-label={t('list.saveView')} icon={<SaveOutlined />} onClick={saveView} />
        </Tooltip>
        {views.current && (
          <Tooltip title={t('list.deleteView')}>
            <Button aria-label={t('list.deleteView')} icon={<DeleteOutlined />} onClick={deleteView} />
          </Tooltip>
        )}
        <Popover content={chooser} title={t('list.columns')} trigger="click" placement="bottomLeft">
          <Button aria-label={t('list.columns')} icon={<TableOutlined />}>
            {t('list.columns')}
          </Button>
        </Popover>
        <span className="ct-spacer" />
        <Typography.Text type="secondary" aria-live="polite">
          {rowInfo ? (rowInfo.total != null ? t('list.total', { count: rowInfo.total }) : t('list.loaded', { count: rowInfo.loaded })) : ''}
        </Typography.Text>
        <Tooltip title={t('common.refresh')}>
          <Button aria-label={t('common.refresh')} icon={<ReloadOutlined />} onClick={() => gridRef.current?.purgeInfiniteCache()} />
        </Tooltip>
        <Button icon={<DownloadOutlined />} onClick={() => (window.location.href = exportHref())}>
          {t('list.export')}
        </Button>
        <Button icon={<UploadOutlined />} onClick={() => setImportOpen(true)}>
          {t('list.import')}
        </Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => void navigate(`/form/${entity}/new`)}>
          {t('list.new')}
        </Button>
      </div>
      {urlFilter && (
        <div className="ct-drill-filter" style={{ marginBottom: 8 }}>
          <Tag color="blue" closable onClose={(e) => { e.preventDefault(); void navigate(`/list/${encodeURIComponent(listId)}`); }} closeIcon={<span aria-label={t('list.clearDrill')}>×</span>}>
            {t('list.filtered', { caption: caption || t('list.filterFromLink') })}
          </Tag>
        </div>
      )}
      <div className="ct-grid">
        <AgGridReact
          theme={theme}
          localeText={lang === 'zh-CN' ? AG_GRID_LOCALE_CN : undefined}
          columnDefs={columnDefs}
          defaultColDef={{ flex: 1, minWidth: 120 }}
          rowModelType="infinite"
          cacheBlockSize={PAGE}
          maxBlocksInCache={20}
          infiniteInitialRowCount={1}
          datasource={datasource}
          getRowId={(p) => String((p.data as { id: unknown }).id)}
          onGridReady={(e) => {
            gridRef.current = e.api;
            if (views.current && views.views[views.current]) applyView(views.views[views.current]);
          }}
          onRowClicked={(e) => {
            const id = (e.data as { id?: unknown } | undefined)?.id;
            if (id != null) void navigate(`/record/${entity}/${String(id)}`);
          }}
          onCellKeyDown={(e) => {
            const ev = e.event as KeyboardEvent | undefined;
            const id = (e.data as { id?: unknown } | undefined)?.id;
            if (ev?.key === 'Enter' && id != null) void navigate(`/record/${entity}/${String(id)}`);
          }}
          overlayNoRowsTemplate={`<span>${t('common.empty')}</span>`}
        />
      </div>
      <ImportDialog
        open={importOpen}
        entity={entity}
        onClose={(imported) => {
          setImportOpen(false);
          if (imported) gridRef.current?.purgeInfiniteCache();
        }}
      />
    </div>
  );
}
