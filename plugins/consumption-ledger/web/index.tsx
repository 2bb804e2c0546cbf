/**
 * Web entry of the consumption-ledger plugin: the stock query and the consumption ledger pages (menu items
 * `consumption-ledger/Stock`, `consumption-ledger/Ledger`) and the culture record's material-usage editor
 * (cultureRecord.materials `x-widget: "consumption-ledger:MaterialUsage"`).
 */
import Stock from './Stock';
import Ledger from './Ledger';
import MaterialUsage from './MaterialUsage';

export { Stock, Ledger, MaterialUsage };
export const pages = { Stock, Ledger };
export const widgets = { MaterialUsage };
export default Stock;
