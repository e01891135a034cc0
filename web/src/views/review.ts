/** Review queue (the reviewer's view): placeholder until the reviewer view is built. */

import type { AppContext, View } from "../app";
import { h } from "../dom";

export function reviewView(_context: AppContext, _params: string[] = []): View {
  return { element: h("section", { class: "card" }, h("h1", {}, "Review queue")), title: "Review queue" };
}
