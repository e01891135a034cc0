// Scenario: upload a file in the upload view (title, tags, chunk size), follow the progress bar, then the
// video's status and stage timeline until the pipeline ends (PUBLISHED, REJECTED or FAILED).
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, file, title, tags, chunkSize, timeoutMs = 240000, screenshot }) => {
  await signIn(page, base, user, { hash: "#/upload" });
  const progress = [];
  await page.exposeFunction("reportProgress", (value) => progress.push(value));
  await page.evaluate(() => {
    const bar = document.querySelector("[data-testid=progress]");
    new MutationObserver(() => window.reportProgress(Number(bar.value))).observe(bar, { attributes: true });
  });
  await page.getByTestId("file").setInputFiles(file);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Tags (comma separated)").fill(tags);
  if (chunkSize) {
    await page.locator("summary", { hasText: "Options" }).click();
    await page.getByTestId("chunk-size").selectOption(String(chunkSize));
  }
  const started = Date.now();
  await page.getByTestId("start-upload").click();
  await page.locator("[data-testid=video-status]").waitFor({ timeout: 60000 });
  const uploadedMs = Date.now() - started;
  const final = page.locator(
    "[data-testid=video-status][data-status=PUBLISHED], [data-testid=video-status][data-status=FAILED], [data-testid=video-status][data-status=REJECTED]",
  );
  const seen = new Set();
  const poll = setInterval(() => {
    page.getByTestId("video-status").getAttribute("data-status").then((s) => s && seen.add(s)).catch(() => undefined);
  }, 200);
  await final.waitFor({ timeout: timeoutMs });
  clearInterval(poll);
  const status = await page.getByTestId("video-status").getAttribute("data-status");
  const stages = await page.locator("[data-testid=timeline] li").evaluateAll((items) =>
    items.map((item) => [item.dataset.stage, item.dataset.outcome]),
  );
  const watch = await page.getByTestId("watch-link").getAttribute("href").catch(() => null);
  const partsText = await page.getByTestId("progress").getAttribute("data-parts");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return {
    status,
    statusesSeen: [...seen],
    stages,
    videoId: watch ? watch.split("/").pop() : null,
    progress,
    parts: partsText,
    progressText: await page.getByTestId("progress-text").textContent(),
    uploadedMs,
    totalMs: Date.now() - started,
  };
});
