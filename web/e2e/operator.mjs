// Scenario: an operator opens the operator page at desktop width: the feed's mode and switches, and the
// ingest workflow's newest executions, then the one of `videoId` (the filter), expanded to read its states.
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, videoId, screenshot }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, base, user, { operator: true, hash: "#/ops" });
  await page.locator("[data-testid=executions] tbody tr").first().waitFor({ timeout: 30000 });
  await page.getByLabel(/Execution name/).fill(videoId);
  await page.getByLabel(/Execution name/).press("Enter");
  // The rows once they answer this filter (the unfiltered list may show the same row before).
  const row = page.locator(`[data-testid=executions][data-filter="ingest//${videoId}"] tr[data-execution="${videoId}"]`);
  await row.waitFor({ timeout: 30000 });
  const listed = await page.locator("[data-testid=executions] tbody tr").count();
  await page.locator("[data-testid=degradation] tbody tr").first().waitFor({ timeout: 30000 });
  await row.locator("summary").click();
  const states = await row.locator("ol.timeline li").evaluateAll((items) =>
    items.map((item) => [item.children[0]?.textContent ?? "", item.className]),
  );
  const bars = await row.locator(".bars .bar").count();
  await page.waitForTimeout(6000); // past one refresh: the row is drawn again
  const stillOpen = await row.locator("details").evaluate((details) => details.open);
  const switches = await page.locator("[data-testid=degradation] tbody tr").evaluateAll((rows) =>
    rows.map((r) => [r.getAttribute("data-level"), r.classList.contains("switch-on")]),
  );
  const navigation = await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return {
    status: (await row.locator(".badge").textContent())?.trim(),
    states,
    bars,
    listed,
    stillOpen,
    mode: (await page.getByTestId("feed-mode").textContent())?.trim(),
    switches,
    navigation,
  };
});
