// Scenario: a creator's own videos: the list (every stage, newest first) and one video's detail with its
// status, counts and stage timeline.
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, videoId, screenshot }) => {
  await signIn(page, base, user, { hash: "#/videos" });
  const row = page.locator(`[data-testid=my-videos] tr[data-video-id="${videoId}"]`);
  await row.waitFor({ timeout: 30000 });
  const rows = await page.locator("[data-testid=my-videos] tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.videoId));
  const listed = await row.locator("td").allTextContents();
  await row.getByRole("link").click();
  await page.locator("[data-testid=video-status][data-status]").waitFor({ timeout: 30000 });
  await page.locator("[data-testid=timeline] li").first().waitFor({ timeout: 30000 });
  const stages = await page.locator("[data-testid=timeline] li").evaluateAll((items) => items.map((item) => [item.dataset.stage, item.dataset.outcome]));
  const counts = await page.locator("dl.counts").textContent().catch(() => null);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return {
    rows,
    listed,
    url: page.url(),
    status: await page.getByTestId("video-status").getAttribute("data-status"),
    stages,
    counts,
    archive: await page.getByTestId("archive").isVisible().catch(() => false),
  };
});
