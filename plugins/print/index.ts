import { definePlugin } from '../../platform/plugins/sdk';
import { printTemplateKind } from './schema';
import { printRoutes } from './routes';
import { printMessages } from './messages';

/**
 * Print templates and labels (issue 15 items 5–6): `printTemplate` metadata (handlebars, versioned by the metadata
 * store: every save is a version, old versions kept), rendered from a record and its chain through the record
 * pipeline to print-ready HTML and to PDF (pdfkit, embedded Noto Sans SC); label templates per container to PDF at
 * the label's size and to ZPL; every print and label recorded and audited, reprints with a reason, and a batch's
 * labels reconciled.
 */
export default definePlugin({
  name: 'print',
  metadata: 'metadata',
  migrations: 'migrations',
  tables: ['print_job', 'print_label'],
  metaKinds: [printTemplateKind],
  messages: printMessages,
  web: 'web/index.tsx',
  routes(router, api) {
    printRoutes(router, api);
  },
});
