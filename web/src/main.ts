/** Start: read `/config.json`, finish a sign-in redirect if this load is one, then show the view the
 * hash names (the sign-in view while nobody is signed in). */

import "./styles.css";
import { Api } from "./api";
import { isOperator, isReviewer, type AppContext, type View } from "./app";
import { completeSignIn, currentSession, signIn, signOut } from "./auth";
import { loadConfig, type AppConfig } from "./config";
import { h, replace } from "./dom";
import { resolve, type Route } from "./router";
import { feedView } from "./views/feed";
import { myVideosView } from "./views/my-videos";
import { notFoundView } from "./views/not-found";
import { operatorView } from "./views/operator";
import { reviewView } from "./views/review";
import { signInView } from "./views/signin";
import { uploadView } from "./views/upload";

const routes: Route[] = [
  { pattern: /^\/feed$/, render: (context) => feedView(context, null), fullScreen: true, nav: { label: "Feed", href: "#/feed" } },
  { pattern: /^\/watch\/([A-Za-z0-9_-]+)$/, render: (context, [id]) => feedView(context, id ?? null), fullScreen: true },
  { pattern: /^\/upload$/, render: uploadView, nav: { label: "Upload", href: "#/upload" } },
  { pattern: /^\/videos$/, render: myVideosView, nav: { label: "My videos", href: "#/videos" } },
  { pattern: /^\/videos\/([A-Za-z0-9_-]+)$/, render: (context, [id]) => myVideosView(context, [id ?? ""]) },
  {
    pattern: /^\/review$/,
    render: reviewView,
    nav: { label: "Review", href: "#/review", visible: (context) => isReviewer(context.session) },
  },
  {
    pattern: /^\/ops$/,
    render: operatorView,
    nav: { label: "Operations", href: "#/ops", visible: (context) => isOperator(context.session) },
  },
];

function shell(context: AppContext, current: Route | null): HTMLElement {
  const links = routes
    .filter((route) => route.nav && (route.nav.visible?.(context) ?? true))
    .map((route) =>
      h(
        "a",
        { href: route.nav?.href ?? "#", "aria-current": route === current ? "page" : null },
        route.nav?.label ?? "",
      ),
    );
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "#/feed", "aria-label": "reelstack home" }, "reelstack"),
    h("nav", { "aria-label": "Main" }, ...links),
    h(
      "div",
      { class: "who" },
      h("span", { class: "username", "data-testid": "username" }, context.session.username),
      h("button", { type: "button", class: "link", onclick: () => signOut(context.config.auth) }, "Sign out"),
    ),
  );
}

async function start(root: HTMLElement): Promise<void> {
  let config: AppConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(root, h("p", { role: "alert" }, `The app cannot start: ${String(error)}`));
    return;
  }
  let signInError: string | null = null;
  try {
    const returnTo = await completeSignIn(config.auth);
    if (returnTo !== null) window.location.hash = returnTo;
  } catch (error) {
    signInError = error instanceof Error ? error.message : String(error);
  }
  let mounted: View | null = null;
  const api = new Api(
    config.api_url,
    () => currentSession()?.token ?? null,
    () => void signIn(config.auth),
  );

  const render = (): void => {
    mounted?.destroy?.();
    mounted = null;
    const session = currentSession();
    if (session === null) {
      const view = signInView(config, signInError);
      replace(root, h("main", { id: "main", class: "page" }, view.element));
      document.title = `${view.title} - reelstack`;
      return;
    }
    const context: AppContext = {
      config,
      api,
      session,
      navigate: (hash) => {
        window.location.hash = hash;
      },
    };
    const found = resolve(routes, window.location.hash);
    const view = found ? found.route.render(context, found.params) : notFoundView();
    mounted = view;
    const main = h("main", { id: "main", class: found?.route.fullScreen ? "page full" : "page" }, view.element);
    replace(root, shell(context, found?.route ?? null), main);
    document.title = `${view.title} - reelstack`;
  };
  window.addEventListener("hashchange", render);
  render();
}

const root = document.getElementById("app");
if (root) void start(root);
