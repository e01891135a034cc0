/** The sign-in view: one button to the issuer's sign-in page (Cognito's hosted UI in AWS, the local
 * issuer's form on the local cloud). */

import type { View } from "../app";
import { signIn } from "../auth";
import type { AppConfig } from "../config";
import { h } from "../dom";

export function signInView(config: AppConfig, error: string | null): View {
  const where =
    config.auth.provider === "local"
      ? "The local cloud's issuer signs you in with any user name."
      : "You sign in with your account on the hosted sign-in page.";
  const element = h(
    "section",
    { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "reelstack"),
    h("p", {}, "Short videos: watch, like, upload."),
    error ? h("p", { role: "alert", class: "error" }, error) : null,
    h(
      "button",
      { type: "button", class: "primary", "data-testid": "sign-in", onclick: () => void signIn(config.auth) },
      "Sign in",
    ),
    h("p", { class: "hint" }, where),
  );
  return { element, title: "Sign in" };
}
