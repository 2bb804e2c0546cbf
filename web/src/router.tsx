// A small history router. Hand-written because the app needs only path matching and a navigation
// blocker for unsaved forms, and it keeps the login bundle small.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, useEffect, useRef } from 'react';

type Listener = () => void;
const listeners = new Set<Listener>();
/** Each blocker returns true when navigation may proceed (it may ask the user). */
type Blocker = () => Promise<boolean>;
const blockers = new Set<Blocker>();

let current = location.pathname + location.search;

function emit(): void {
  current = location.pathname + location.search;
  for (const l of listeners) l();
}

async function allowed(): Promise<boolean> {
  for (const b of blockers) if (!(await b())) return false;
  return true;
}

export async function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}): Promise<void> {
  if (to === current) return;
  if (!opts.force && !(await allowed())) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  emit();
}

window.addEventListener('popstate', () => {
  const target = location.pathname + location.search;
  if (blockers.size === 0) return emit();
  // Undo the browser's move, ask, then go on if allowed.
  history.pushState(null, '', current);
  void allowed().then((ok) => {
    if (ok) {
      history.replaceState(null, '', target);
      emit();
    }
  });
});

function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export interface Loc {
  path: string;
  search: URLSearchParams;
  href: string;
}

let cachedHref = '';
let cachedLoc: Loc | null = null;
function snapshot(): string {
  return current;
}

export function useLocation(): Loc {
  const href = useSyncExternalStore(subscribe, snapshot);
  if (href !== cachedHref || !cachedLoc) {
    const u = new URL(href, location.origin);
    cachedHref = href;
    cachedLoc = { path: u.pathname, search: u.searchParams, href };
  }
  return cachedLoc;
}

/** Match `/list/:listId` against a path; returns decoded params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** While `when` is true, in-app navigation asks `confirm` first; closing the tab asks the browser's question. */
export function useBlocker(when: boolean, confirm: () => Promise<boolean>): void {
  const confirmRef = useRef(confirm);
  confirmRef.current = confirm;
  useEffect(() => {
    if (!when) return;
    const blocker: Blocker = () => confirmRef.current();
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    blockers.add(blocker);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      blockers.delete(blocker);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [when]);
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    void navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
