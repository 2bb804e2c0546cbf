/** Container types a lab starts with (domain-reference.md); created on first use when an admin has not defined them. */
export const CONTAINER_TYPE_PRESETS: Record<string, Record<string, unknown>> = {
  canister: { name: '吊篮 Canister', level: 'canister', rows: 1, cols: 1, prefix: 'C', holdsVials: false },
  layer: { name: '层 Layer', level: 'layer', rows: 1, cols: 1, prefix: 'L', holdsVials: false },
  shelf: { name: '搁板 Shelf', level: 'shelf', rows: 1, cols: 1, prefix: 'S', holdsVials: false },
  rack: { name: '冻存架 Rack', level: 'rack', rows: 1, cols: 1, prefix: 'R', holdsVials: false },
  drawer: { name: '抽屉 Drawer', level: 'drawer', rows: 1, cols: 1, prefix: 'D', holdsVials: false },
  box9x9: { name: '冻存盒 9×9', level: 'box', rows: 9, cols: 9, prefix: 'B', holdsVials: true, rowLabels: 'letters', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
  box10x10: { name: '冻存盒 10×10', level: 'box', rows: 10, cols: 10, prefix: 'B', holdsVials: true, rowLabels: 'letters', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
  box13x13: { name: '冻存盒 13×13', level: 'box', rows: 13, cols: 13, prefix: 'B', holdsVials: true, rowLabels: 'letters', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
  box14x14: { name: '冻存盒 14×14', level: 'box', rows: 14, cols: 14, prefix: 'B', holdsVials: true, rowLabels: 'letters', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
  cane5: { name: '冻存架(单列5管) Cane', level: 'cane', rows: 5, cols: 1, prefix: 'K', holdsVials: true, rowLabels: 'numbers', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
  goblet10: { name: '麦管杯 Straw goblet', level: 'goblet', rows: 1, cols: 10, prefix: 'G', holdsVials: true, rowLabels: 'numbers', colLabels: 'numbers', fillOrder: 'rowMajor', origin: 'topLeft' },
};
