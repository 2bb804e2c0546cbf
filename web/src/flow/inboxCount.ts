// The shell's to-do badge listens here so acting on a task updates it at once.
const listeners = new Set<() => void>();
export function onInboxChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function refreshInboxCount(): void {
  for (const l of listeners) l();
}
