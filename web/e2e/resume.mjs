// Scenario: an upload interrupted by a reload resumes. The first `allow` chunk PUTs reach storage; the
// later ones are held (as on a connection that dropped); the page reloads mid-way; the same file is
// picked again and only the chunks the API reports missing are sent.
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, file, title, chunkSize, allow, storageOrigin, timeoutMs = 240000 }) => {
  await signIn(page, base, user, { hash: "#/upload" });
  const before = [];
  let held = 0;
  const partOf = (url) => {
    const parsed = new URL(url);
    return Number(parsed.searchParams.get("partNumber") ?? parsed.pathname.split("/").pop());
  };
  const pattern = (url) => url.origin === storageOrigin;
  await page.route(pattern, async (route) => {
    if (route.request().method() !== "PUT") return route.continue();
    if (before.length < allow) {
      before.push(partOf(route.request().url()));
      return route.continue();
    }
    held += 1; // never answered: the reload cancels it
  });
  const stored = [];
  page.on("requestfinished", async (request) => {
    if (request.method() === "PUT" && new URL(request.url()).origin === storageOrigin) {
      const response = await request.response();
      if (response?.ok()) stored.push(partOf(request.url()));
    }
  });
  await page.getByTestId("file").setInputFiles(file);
  await page.getByLabel("Title").fill(title);
  await page.locator("summary", { hasText: "Options" }).click();
  await page.getByTestId("chunk-size").selectOption(String(chunkSize));
  await page.getByTestId("start-upload").click();
  const deadline = Date.now() + 60000;
  while ((stored.length < allow || held === 0) && Date.now() < deadline) await page.waitForTimeout(100);
  const pending = await page.evaluate(() => JSON.parse(localStorage.getItem("reelstack.uploads") ?? "[]"));
  const storedBeforeReload = [...stored];

  await page.reload(); // cancels the held chunks (unrouting first would let them through)
  await page.unroute(pattern);
  const listed = await page.getByTestId("resumable").locator("li").allTextContents();
  const after = [];
  page.on("request", (request) => {
    if (request.method() === "PUT" && new URL(request.url()).origin === storageOrigin) after.push(partOf(request.url()));
  });
  await page.getByTestId("file").setInputFiles(file);
  await page.locator("[data-testid=video-status]").waitFor({ timeout: timeoutMs });
  return {
    pending,
    storedBeforeReload,
    heldBeforeReload: held,
    listed,
    resumedParts: after,
    progress: await page.getByTestId("progress-text").textContent(),
    leftInStorage: await page.evaluate(() => JSON.parse(localStorage.getItem("reelstack.uploads") ?? "[]")),
  };
});
