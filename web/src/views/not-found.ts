/** An unknown hash route. */

import type { View } from "../app";
import { h } from "../dom";

export function notFoundView(): View {
  const element = h(
    "section",
    { class: "card" },
    h("h1", {}, "Not found"),
    h("p", {}, "There is nothing at this address. ", h("a", { href: "#/feed" }, "Back to the feed")),
  );
  return { element, title: "Not found" };
}
