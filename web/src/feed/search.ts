/** The search box over the feed: titles completing what is typed (`/search/suggest`), and on submit the
 * matching videos (`/search`), each opening in the player. */

import { describeError, type Api } from "../api";
import { h, replace } from "../dom";
import { icon } from "../icons";
import type { Page, SearchHit } from "../types";

const SUGGEST_DELAY_MS = 200;

export function searchBox(api: Api, open: (videoId: string) => void): HTMLElement {
  const input = h("input", {
    id: "search-q",
    type: "search",
    name: "q",
    list: "search-suggestions",
    placeholder: "Search videos",
    autocomplete: "off",
    maxlength: 200,
    "data-testid": "search-input",
  });
  const suggestions = h("datalist", { id: "search-suggestions" });
  const results = h("div", { class: "search-results", hidden: true, "aria-live": "polite" });
  let timer: ReturnType<typeof setTimeout> | undefined;

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      results.hidden = true;
      return;
    }
    timer = setTimeout(() => {
      api
        .get<{ suggestions: string[] }>("/search/suggest", { q, limit: 8 })
        .then((answer) => replace(suggestions, ...answer.suggestions.map((title) => h("option", { value: title }))))
        .catch(() => undefined); // suggestions are a nicety: search itself still works
    }, SUGGEST_DELAY_MS);
  });

  const form = h(
    "form",
    { class: "search", role: "search" },
    h("label", { for: "search-q", class: "visually-hidden" }, "Search videos"),
    input,
    suggestions,
    h("button", { type: "submit", "aria-label": "Search" }, icon("search", 20)),
    results,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    results.hidden = false;
    replace(results, h("p", { class: "hint" }, "Searching..."));
    api
      .get<Page<SearchHit>>("/search", { q, limit: 20 })
      .then((page) => {
        const close = h("button", { type: "button", class: "link", onclick: () => (results.hidden = true) }, "Close");
        if (page.items.length === 0) {
          replace(results, h("p", {}, `Nothing matches "${q}".`), close);
          return;
        }
        replace(
          results,
          h(
            "ul",
            { "aria-label": `Results for ${q}` },
            ...page.items.map((hit) =>
              h(
                "li",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: "hit",
                    onclick: () => {
                      results.hidden = true;
                      open(hit.video_id);
                    },
                  },
                  hit.poster_url ? h("img", { src: hit.poster_url, alt: "", width: 36, height: 64 }) : null,
                  h("span", {}, hit.title),
                ),
              ),
            ),
          ),
          close,
        );
      })
      .catch((error: unknown) => replace(results, h("p", { role: "alert" }, describeError(error))));
  });
  return form;
}
