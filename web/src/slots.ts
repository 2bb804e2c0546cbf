import type { ComponentType } from 'react';

/** Props given to components that plug into the record page (flow actions, plugin widgets). */
export interface RecordSlotProps {
  entity: string;
  record: Record<string, unknown>;
  /** Reload the record after an action changed it. */
  reload: () => void;
}

/** Components shown in the record page's action area; the workflow UI registers itself here. */
export const recordActionSlots: ComponentType<RecordSlotProps>[] = [];
