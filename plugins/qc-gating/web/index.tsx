/**
 * Web entry of the QC plugin: the QC overview, the EM round (tablet), the room map and the EM trend pages (menu items
 * `qc-gating/Overview`, `qc-gating/EmRound`, `qc-gating/RoomMap`, `qc-gating/EmTrend`).
 */
import Overview from './Overview';
import EmRound from './EmRound';
import RoomMap from './RoomMap';
import EmTrend from './EmTrend';

export { Overview, EmRound, RoomMap, EmTrend };
export const pages = { Overview, EmRound, RoomMap, EmTrend };
export default Overview;
