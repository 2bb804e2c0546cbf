import type { ReactNode } from 'react';
import { Alert, Button, Popconfirm, Space } from 'antd';
import { ThunderboltOutlined } from '@ant-design/icons';
import type { Api, Lang } from './shared';

/** What the platform hands a line-item widget (see web/src/form/LineItems.tsx, PluginLinesField). */
export interface LineWidgetProps {
  api: Api;
  lang?: Lang;
  value?: { lot?: number; quantity?: number; openNew?: boolean }[];
  onChange(v: unknown): void;
  /** The whole record being edited. */
  formData: Record<string, any>;
  /** The platform's line editor for this field. */
  editor: ReactNode;
  disabled?: boolean;
  readonly?: boolean;
}

/**
 * The standard line editor under a "fill the lines" button: asks before replacing lines already entered, and lists
 * what could not be filled.
 */
export function FillLines(p: { label: string; replaceAsk: string; show: boolean; busy: boolean; filled: boolean; warnings: string[]; editable: boolean; onFill(): void; editor: ReactNode }) {
  const button = (
    <Button icon={<ThunderboltOutlined />} loading={p.busy} disabled={!p.editable} style={{ minHeight: 36 }} onClick={p.filled ? undefined : p.onFill}>
      {p.label}
    </Button>
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {p.editable && p.show ? (p.filled ? <Popconfirm title={p.replaceAsk} onConfirm={p.onFill}>{button}</Popconfirm> : button) : null}
      {p.warnings.length > 0 && <Alert type="warning" showIcon message={p.warnings.join('；')} />}
      {p.editor}
    </Space>
  );
}
