/** What every view gets: the configuration, the API client and the signed-in user. */

import type { Api } from "./api";
import type { AppConfig } from "./config";
import type { Session } from "./auth";

export interface AppContext {
  config: AppConfig;
  api: Api;
  session: Session;
  navigate(hash: string): void;
}

/** A mounted view: its element, its title (the document's and the heading's) and how to tear it down. */
export interface View {
  element: HTMLElement;
  title: string;
  destroy?(): void;
}

export function isReviewer(session: Session): boolean {
  return session.groups.includes("reviewer");
}

export function isOperator(session: Session): boolean {
  return session.groups.includes("operator");
}
