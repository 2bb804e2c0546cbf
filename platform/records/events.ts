import { EventEmitter } from 'node:events';

export interface RecordEvent {
  type: 'created' | 'updated' | 'deleted' | 'action';
  entity: string;
  id: number;
  action?: string;
  record: Record<string, unknown>;
  actorId: number | null;
}

/** Events after commit: listeners (notifications, jobs) never run for a rolled-back write. */
export class RecordEvents extends EventEmitter {
  emitAfterCommit(e: RecordEvent): void {
    setImmediate(() => {
      try {
        this.emit('record', e);
      } catch {
        // a failing listener must not affect the writer; listeners log their own errors
      }
    });
  }
}
