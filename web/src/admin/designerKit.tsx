// Helpers of the role editor and the flow designer: server validation errors (JSON pointers relative to the
// definition) shown on the control they concern, and a JSON editor for JSON Logic conditions.
import { useEffect, useState } from 'react';
import { Input, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

export interface PathError {
  path: string;
  message: string;
}

/** Errors at `path` or below it (`/states/a` matches `/states/a/label/en`). */
export function errorsAt(errors: PathError[], path: string): string[] {
  return errors.filter((e) => e.path === path || e.path.startsWith(`${path}/`)).map((e) => (e.path === path ? e.message : `${e.path.slice(path.length + 1)}: ${e.message}`));
}

export function ErrorText({ errors, path, testId }: { errors: PathError[]; path: string; testId?: string }) {
  const list = errorsAt(errors, path);
  if (!list.length) return null;
  return (
    <div className="ct-field-error" role="alert" data-path={path} data-testid={testId}>
      {list.map((m, i) => (
        <div key={i}>{m}</div>
      ))}
    </div>
  );
}

/**
 * A JSON object edited as text: the value changes only when the text parses (and passes `check`, if given,
 * which returns a problem or null). Parse and check problems show under the box.
 */
export function JsonInput({
  value, onChange, check, ariaLabel, rows = 3, placeholder, serverErrors = [],
}: {
  value: unknown;
  onChange(v: Record<string, unknown> | undefined): void;
  check?: (v: Record<string, unknown>) => string | null;
  ariaLabel: string;
  rows?: number;
  placeholder?: string;
  serverErrors?: string[];
}) {
  const { t } = useTranslation();
  const external = value === undefined ? '' : JSON.stringify(value);
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 1));
  const [problem, setProblem] = useState<string | null>(null);
  // Follow outside changes (rollback, reload) unless the text already says the same.
  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(text.trim() ? JSON.parse(text) : undefined) === (external || undefined);
    } catch {
      same = false;
    }
    if (!same && !problem) setText(value === undefined ? '' : JSON.stringify(value, null, 1));
  }, [external]); // eslint-disable-line
  const update = (s: string) => {
    setText(s);
    if (!s.trim()) {
      setProblem(null);
      onChange(undefined);
      return;
    }
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      setProblem(t('admin.role.invalidJson', { message: (e as Error).message }));
      return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      setProblem(t('admin.role.invalidJson', { message: 'an object {…} is expected' }));
      return;
    }
    const p = check?.(v as Record<string, unknown>) ?? null;
    setProblem(p);
    onChange(v as Record<string, unknown>);
  };
  const all = [...(problem ? [problem] : []), ...serverErrors];
  return (
    <div>
      <Input.TextArea
        aria-label={ariaLabel}
        aria-invalid={all.length > 0}
        status={all.length ? 'error' : undefined}
        value={text}
        placeholder={placeholder}
        autoSize={{ minRows: rows, maxRows: 14 }}
        style={{ fontFamily: 'monospace', fontSize: 12 }}
        onChange={(e) => update(e.target.value)}
      />
      {all.map((m, i) => (
        <Typography.Text key={i} type="danger" role="alert" style={{ display: 'block', fontSize: 12 }}>
          {m}
        </Typography.Text>
      ))}
    </div>
  );
}

const LOGIC_OPS = new Set(['==', '===', '!=', '!==', '>', '>=', '<', '<=', 'in']);

/**
 * The subset of JSON Logic a role scope may use (the server turns it into SQL, platform/auth/roles.ts
 * jsonLogicToFilter): and/or/!, comparisons and in, {"var": field} left, literal or {"var": "$actor.x"} right.
 */
export function scopeLogicProblem(logic: unknown, fields?: Set<string>): string | null {
  if (!logic || typeof logic !== 'object' || Array.isArray(logic)) return 'JSON Logic rule must be an object';
  const entries = Object.entries(logic as Record<string, unknown>);
  if (entries.length !== 1) return 'one operator per JSON Logic object';
  const [op, args] = entries[0];
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(args) || !args.length) return `${op} needs a non-empty list`;
    for (const a of args) {
      const p = scopeLogicProblem(a, fields);
      if (p) return p;
    }
    return null;
  }
  if (op === '!') return scopeLogicProblem(Array.isArray(args) ? args[0] : args, fields);
  if (!LOGIC_OPS.has(op) || !Array.isArray(args) || args.length !== 2) return `unsupported JSON Logic operator ${op}`;
  const [left, right] = args as [Record<string, unknown> | null, unknown];
  if (!left || typeof left !== 'object' || typeof left.var !== 'string' || left.var.startsWith('$')) return `${op}: the left side must be {"var": "<field>"}`;
  if (fields && !fields.has(left.var)) return `unknown field ${left.var}`;
  if (right && typeof right === 'object' && !Array.isArray(right)) {
    const v = (right as Record<string, unknown>).var;
    if (typeof v !== 'string' || !/^\$actor\.(id|orgId|labId|labIds|orgSubtree)$/.test(v)) return `${op}: the right side must be a literal or {"var": "$actor.<fact>"}`;
  }
  return null;
}
