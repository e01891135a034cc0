/** Hash routes (`#/feed`, `#/watch/<id>`, `#/upload`, ...): the page is one document at `/`, so it is
 * served as a single file and reloads keep the view. */

import type { AppContext, View } from "./app";

export interface Route {
  pattern: RegExp;
  render(context: AppContext, params: string[]): View;
  /** The view fills the screen under a see-through bar (the feed). */
  fullScreen?: boolean;
  /** The link in the navigation bar, if any. */
  nav?: { label: string; href: string; visible?(context: AppContext): boolean };
}

export function resolve(routes: Route[], hash: string): { route: Route; params: string[] } | null {
  const path = hash.replace(/^#/, "") || "/feed";
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.slice(1).map((part) => decodeURIComponent(part)) };
  }
  return null;
}
