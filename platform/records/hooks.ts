import type { Knex } from 'knex';
import { AppError } from '../errors';
import type { CallContext } from '../context';
import type { EntityDef } from '../metadata/model';
import type { RecordService } from './service';

export type HookName =
  | 'beforeCreate' | 'beforeUpdate' | 'beforeDelete'
  | 'afterCreate' | 'afterUpdate' | 'afterDelete';

export interface HookArgs {
  ctx: CallContext;
  entity: EntityDef;
  /** The record as it will be (before*) or was written (after*); before-hooks may change it. */
  record: Record<string, any>;
  previous?: Record<string, any> | null;
  /**
   * The write's transaction: hooks run inside it and abort it by throwing. Absent only for the platform's `pure`
   * before-hooks on the single-statement create (they read and veto, and write nothing).
   */
  trx?: Knex.Transaction;
  /** The record service, bound to that transaction. */
  records: RecordService;
}

export type Hook = (args: HookArgs) => Promise<void> | void;

export interface ActionArgs {
  ctx: CallContext;
  entity: EntityDef;
  record: Record<string, any>;
  input: Record<string, any>;
  /** The e-signature sent beside the input (`{password, meaning}`), for handlers that sign conditionally (flows). */
  signature?: { password?: unknown; meaning?: unknown };
  trx: Knex.Transaction;
  records: RecordService;
}

export interface ActionDef {
  label?: { 'zh-CN': string; en?: string };
  /** JSON Schema of the action's input; validated before the handler runs. */
  input?: object;
  /** Returns the record after the action; its changes are audited as the action. */
  handler: (a: ActionArgs) => Promise<Record<string, any> | void>;
  /**
   * JSON Logic over the record: the states in which the action may run (`{"==": [{"var": "state"}, "approved"]}`).
   * The pipeline refuses the action otherwise, and the record page offers it only then.
   */
  when?: Record<string, unknown>;
  /** Platform code only: a check JSON Logic cannot say (a flow's start action: no flow running yet). */
  available?: (a: { ctx: CallContext; entity: EntityDef; record: Record<string, any> }) => boolean | Promise<boolean>;
  /** False: not offered as a record-page button (a flow's transitions are acted on through their tasks). */
  listed?: boolean;
}

/** A before-hook's refusal: 422 with a translated reason. */
export class VetoError extends AppError {
  constructor(messageKey: string, params: Record<string, unknown> = {}, path?: string) {
    super(422, 'VETOED', messageKey, params, path ? [{ path, messageKey, params }] : []);
  }
}

export class HookRegistry {
  private hooks = new Map<string, { fn: Hook; appliesTo?: (e: EntityDef) => boolean; pure?: boolean }[]>();
  private actions = new Map<string, ActionDef>();

  /**
   * `entity` may be '*' for every entity. A '*' hook that matters only for some entities should say which with
   * `appliesTo`: entities it does not apply to keep the single-statement create path. A `pure` before-hook (platform
   * only: it reads and vetoes or sets fields, and writes nothing) does not need the write's transaction either.
   */
  on(entity: string, name: HookName, fn: Hook, opts: { appliesTo?: (e: EntityDef) => boolean; pure?: boolean } = {}): void {
    const key = `${entity}:${name}`;
    if (!this.hooks.has(key)) this.hooks.set(key, []);
    this.hooks.get(key)!.push({ fn, appliesTo: opts.appliesTo, pure: opts.pure });
  }

  has(e: EntityDef, name: HookName, opts: { exceptPure?: boolean } = {}): boolean {
    return [`*:${name}`, `${e.name}:${name}`].some((k) => (this.hooks.get(k) ?? []).some((h) => (!opts.exceptPure || !h.pure) && (!h.appliesTo || h.appliesTo(e))));
  }

  async run(name: HookName, args: HookArgs): Promise<void> {
    for (const key of [`*:${name}`, `${args.entity.name}:${name}`])
      for (const h of this.hooks.get(key) ?? []) if (!h.appliesTo || h.appliesTo(args.entity)) await h.fn(args);
  }

  action(entity: string, action: string, def: ActionDef): void {
    const key = `${entity}:${action}`;
    if (this.actions.has(key)) throw new Error(`action ${key} registered twice`);
    this.actions.set(key, def);
  }

  getAction(entity: string, action: string): ActionDef | undefined {
    return this.actions.get(`${entity}:${action}`);
  }

  actionsOf(entity: string): string[] {
    return [...this.actions.keys()].filter((k) => k.startsWith(`${entity}:`)).map((k) => k.slice(entity.length + 1));
  }
}
