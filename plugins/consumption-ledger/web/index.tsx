/**
 * Web entry of the consumption-ledger plugin: the stock query and the consumption ledger pages (menu items
 * `consumption-ledger/Stock`, `consumption-ledger/Ledger`) and the culture record's material-usage editor
 * (cultureRecord.materials `x-widget: "consumption-ledger:MaterialUsage"`) and the issue lines filled from a requisition
 * first expiry first out (materialIssue.lines `x-widget: "consumption-ledger:IssueLines"`).
 */
import Stock from './Stock';
import Ledger from './Ledger';
import MaterialUsage from './MaterialUsage';
import IssueLines from './IssueLines';

export { Stock, Ledger, MaterialUsage, IssueLines };
export const pages = { Stock, Ledger };
export const widgets = { MaterialUsage, IssueLines };
export default Stock;
