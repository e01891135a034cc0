/** My videos (the creator's view): placeholder until the creator view is built. */

import type { AppContext, View } from "../app";
import { h } from "../dom";

export function myVideosView(_context: AppContext, _params: string[] = []): View {
  return { element: h("section", { class: "card" }, h("h1", {}, "My videos")), title: "My videos" };
}
