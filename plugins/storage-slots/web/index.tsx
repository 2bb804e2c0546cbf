/**
 * Web entry of the storage-slots plugin (definePlugin `web`, listed in GET /api/v1/meta `plugins`).
 * The default export is the position map page (menu item `page: "storage-slots/PositionMap"`); `widgets` names
 * every component the shell may mount. Each receives `{api, lang}`. `positions` is the stock-in form's widget
 * (stockIn.positions `x-widget: "storage-slots:positions"`). `Custody` is the
 * cryovial record page's tab (`x-record-tabs`).
 */
import PositionMap from './PositionMap';
import Inventory from './Inventory';
import PositionPicker from './PositionPicker';
import Custody from './Custody';

export { PositionMap, Inventory, PositionPicker, Custody };
export const widgets = { PositionMap, Inventory, positions: PositionPicker, Custody };
export default PositionMap;
