// Writes docs/examples/cell-inventory-example.xlsx: the cell-inventory import template (zh-CN) with sample rows, from
// the same code the server's template uses. Run: npx tsx scripts/cell-inventory-example.ts (or ts-node).
import fs from 'node:fs';
import path from 'node:path';
import { inventoryWorkbook, EXAMPLE_ROWS } from '../plugins/storage-slots/inventory-import';

const root = path.resolve(__dirname, '..');
const dict = (file: string) => (JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')).items as any[]).filter((i) => !i.disabled).map((i) => i.label['zh-CN'] as string);
const types = JSON.parse(fs.readFileSync(path.join(root, 'metadata/cellbank/entities/storageDevice.json'), 'utf8')).properties.deviceType['x-enum-labels'];
const results = Object.values<any>(JSON.parse(fs.readFileSync(path.join(root, 'metadata/qc/entities/qcRecord.json'), 'utf8')).properties.sterility['x-enum-labels']).map((l) => l['zh-CN'] as string);

void (async () => {
  const buf = await inventoryWorkbook(
    { deviceType: Object.values<any>(types).map((l) => l['zh-CN']), site: dict('metadata/cellbank/dictionaries/storageSite.json'), cellType: dict('metadata/production/dictionaries/cellType.json'), sterility: results, mycoplasma: results },
    'zh-CN', EXAMPLE_ROWS,
  );
  const out = path.join(root, 'docs/examples/cell-inventory-example.xlsx');
  fs.writeFileSync(out, buf);
  process.stdout.write(`${out} written (${EXAMPLE_ROWS.length} vials)\n`);
})();
