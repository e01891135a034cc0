// Shared by the browser scenarios: Debian's Chromium driven by playwright-core (never a downloaded
// browser), one JSON argument in, one JSON result out (the last line of stdout), for the pytest tests
// in tests/e2e/web to assert on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
  "--mute-audio",
];

/** A fresh browser profile and one page of `width` x `height`. */
export async function launch({ width = 390, height = 844 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "reelstack-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width, height },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  const note = (problem) => {
    if (problems.length < 20 && !problems.includes(problem)) problems.push(problem.slice(0, 300));
  };
  page.on("pageerror", (error) => note(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    // "Failed to load resource" repeats a failed response without its URL: the response listener has it.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      note(`console: ${message.text()}`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) note(`http ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, problems, close };
}

/** Through the app's sign-in button and the issuer's form, back to the app signed in as `user`. */
export async function signIn(page, baseUrl, user, { reviewer = false, operator = false, hash = "#/feed" } = {}) {
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByTestId("sign-in").click();
  await page.getByLabel("User name").fill(user);
  if (reviewer) await page.getByLabel(/Reviewer/).check();
  if (operator) await page.getByLabel(/Operator/).check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("username").filter({ hasText: user }).waitFor({ state: "attached" });
}

/** Run `main(args)` with the JSON argument of argv[2]; print its result as JSON; exit 1 on an error. */
export async function scenario(main) {
  const args = JSON.parse(process.argv[2] ?? "{}");
  const session = await launch(args.viewport ?? {});
  let exit = 0;
  let result;
  try {
    result = { ok: true, ...(await main(session, args)) };
  } catch (error) {
    exit = 1;
    result = { ok: false, error: String(error?.stack ?? error) };
    if (args.failureScreenshot) {
      await session.page.screenshot({ path: args.failureScreenshot }).catch(() => undefined);
    }
  }
  result.problems = session.problems;
  await session.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(exit);
}
