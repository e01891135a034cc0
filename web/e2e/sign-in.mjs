// Scenario: sign in through the app's button and the local issuer's form (the code flow with PKCE, as
// against Cognito's hosted UI), then check what the app shows and that the API takes the token it holds.
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, reviewer = false }) => {
  await page.goto(`${base}/#/upload`);
  // The view appears once /config.json is read: wait for it (isVisible alone does not wait).
  const signInShown = await page
    .getByTestId("sign-in")
    .waitFor({ state: "visible", timeout: 30000 })
    .then(() => true, () => false);
  await signIn(page, base, user, { reviewer, hash: "#/upload" });
  const nav = await page.locator(".topbar nav a").allTextContents();
  const heading = await page.locator("main h1").first().textContent();
  // The page's own token against the API (the same call the app makes on every view).
  const api = await page.evaluate(async () => {
    const token = localStorage.getItem("reelstack.session");
    const response = await fetch("/videos?author=me", { headers: { Authorization: `Bearer ${token}` } });
    return { status: response.status, claims: JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) };
  });
  return { signInShown, url: page.url(), nav, heading, apiStatus: api.status, claims: api.claims };
});
