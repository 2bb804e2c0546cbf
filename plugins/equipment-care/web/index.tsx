/**
 * Web entry of the equipment-care plugin: the equipment ledger (menu `equipment-care/Ledger`) and the usage log with
 * the impact query (menu `equipment-care/Usage`).
 */
import Ledger from './Ledger';
import Usage from './Usage';

export { Ledger, Usage };
export const pages = { Ledger, Usage };
export default Ledger;
