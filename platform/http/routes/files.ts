import crypto from 'node:crypto';
import type Router from '@koa/router';
import { AppError } from '../../errors';
import type { Services } from '../../services';
import { headerText } from '../input';
import { mayReadFile } from '../../auth/file-access';
import { callContext } from './auth';

const MAX = 20 * 1024 * 1024;
const SAFE_INLINE = /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/;

const notFound = () => new AppError(404, 'NOT_FOUND', 'error.fileNotFound');

/** Attachments (culture photos, QC reports) live in PostgreSQL, so one backup holds everything. */
export function fileRoutes(api: Router, s: Services): void {
  api.post('/files', async (ctx) => {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of ctx.req) {
      n += c.length;
      if (n > MAX) throw new AppError(413, 'PAYLOAD_TOO_LARGE', 'error.bodyTooLarge');
      chunks.push(c as Buffer);
    }
    const content = Buffer.concat(chunks);
    const name = (headerText(ctx, 'X-File-Name', 255) || 'file').replace(/[\\/]/g, '_');
    const mime = (ctx.get('Content-Type') || 'application/octet-stream').split(';')[0].slice(0, 100);
    const [row] = await s.knex('ct_file')
      .insert({ name, mime, size: content.length, sha256: crypto.createHash('sha256').update(content).digest('hex'), content, created_by: ctx.state.actor.id })
      .returning(['id', 'name', 'mime', 'size']);
    ctx.status = 201;
    ctx.body = { data: { id: Number(row.id), name: row.name, mime: row.mime, size: Number(row.size) } };
  });
  api.get('/files/:id', async (ctx) => {
    if (!/^\d{1,15}$/.test(ctx.params.id)) throw notFound();
    const meta = await s.knex('ct_file').where({ id: Number(ctx.params.id) }).first('id', 'created_by');
    if (!meta || !(await mayReadFile({ knex: s.knex, model: s.meta.model, auth: s.authorizer }, callContext(ctx), meta))) throw notFound();
    const f = await s.knex('ct_file').where({ id: meta.id }).first();
    ctx.type = SAFE_INLINE.test(f.mime) ? f.mime : 'application/octet-stream';
    ctx.set('Content-Disposition', `${SAFE_INLINE.test(f.mime) ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(f.name)}`);
    ctx.set('Cache-Control', 'private, max-age=3600');
    ctx.body = f.content;
  });
}
