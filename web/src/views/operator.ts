/** Operator (the operator's view): placeholder until the operator view is built. */

import type { AppContext, View } from "../app";
import { h } from "../dom";

export function operatorView(_context: AppContext, _params: string[] = []): View {
  return { element: h("section", { class: "card" }, h("h1", {}, "Operator")), title: "Operator" };
}
