import { createContext, useContext, useEffect } from 'react';

export interface Crumb {
  title: string;
  href?: string;
}
export const CrumbContext = createContext<(c: Crumb[]) => void>(() => {});

/** A page declares its breadcrumb trail; the shell shows it. */
export function useCrumbs(crumbs: Crumb[]): void {
  const set = useContext(CrumbContext);
  const key = JSON.stringify(crumbs);
  useEffect(() => {
    set(JSON.parse(key) as Crumb[]);
  }, [key, set]);
}
