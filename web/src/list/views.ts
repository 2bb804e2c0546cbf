// Saved list views, per user and list, in localStorage.
export interface SavedView {
  /** Visible column ids in display order. */
  columns: string[];
  sort: { colId: string; sort: 'asc' | 'desc' }[];
  filter: Record<string, unknown>;
  quick: string;
}
interface Store {
  views: Record<string, SavedView>;
  current?: string;
}

const key = (userId: unknown, listId: string) => `ct.views.${String(userId)}.${listId}`;

export function loadViews(userId: unknown, listId: string): Store {
  try {
    const s = JSON.parse(localStorage.getItem(key(userId, listId)) ?? 'null') as Store | null;
    return s && typeof s.views === 'object' ? s : { views: {} };
  } catch {
    return { views: {} };
  }
}

export function saveViews(userId: unknown, listId: string, store: Store): void {
  localStorage.setItem(key(userId, listId), JSON.stringify(store));
}
