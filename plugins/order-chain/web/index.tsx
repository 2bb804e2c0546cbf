/**
 * Web entry of the order-chain plugin: record-page tabs (`x-record-tabs`) for the trace of an order's chain
 * (order, sample, culture, batch, vial, product, handover, customer), a lab task's "work on it", and a handover's
 * transport temperature with the external receiver's signature pad.
 */
import Trace from './Trace';
import TaskWork from './TaskWork';
import TemperatureLog from './TemperatureLog';

export { Trace, TaskWork, TemperatureLog };
export const widgets = { Trace, TaskWork, TemperatureLog };
export default Trace;
