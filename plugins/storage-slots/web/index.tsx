/**
 * Web entry of the storage-slots plugin (definePlugin `web`, listed in GET /api/v1/meta `plugins`).
 * The default export is the position map page (menu item `page: "storage-slots/PositionMap"`); `widgets` names
 * every component the shell may mount. Each receives `{api, lang}`.
 */
import PositionMap from './PositionMap';
import Inventory from './Inventory';

export { PositionMap, Inventory };
export const widgets = { PositionMap, Inventory };
export default PositionMap;
