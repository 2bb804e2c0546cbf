import { Card, Col, Row } from 'antd';
import type { ObjectFieldTemplateProps } from '@rjsf/utils';
import type { ResolvedSection } from './schema';

export interface SectionsCtx {
  sections: ResolvedSection[];
  wide: Set<string>;
}

/** Root object rendered as one antd Card per form section, two columns on wide screens. */
export default function SectionsTemplate(props: ObjectFieldTemplateProps) {
  const ctx = props.registry.formContext as Partial<SectionsCtx> | undefined;
  const byName = new Map(props.properties.map((p) => [p.name, p]));
  if (props.fieldPathId.path.length > 0 || !ctx?.sections) {
    return <div>{props.properties.map((p) => (p.hidden ? null : <div key={p.name}>{p.content}</div>))}</div>;
  }
  return (
    <>
      {ctx.sections.map((s) => (
        <Card key={s.key} title={s.title || undefined} size="small" className="ct-section">
          <Row gutter={16}>
            {s.fields.map((f) => {
              const p = byName.get(f);
              if (!p || p.hidden) return null;
              const wide = ctx.wide?.has(f);
              return (
                <Col key={f} xs={24} md={wide ? 24 : 12}>
                  {p.content}
                </Col>
              );
            })}
          </Row>
        </Card>
      ))}
    </>
  );
}
