// Scenario: a reviewer works the review queue: the held video is listed with the model's reasons and
// its flagged frames (the images load), and approving it takes it off the queue.
import { scenario, signIn } from "./browser.mjs";

await scenario(async ({ page }, { base, user, videoId, decision = "approve", screenshot }) => {
  await signIn(page, base, user, { reviewer: true, hash: "#/review" });
  const card = page.locator(`[data-testid=review-queue] article[data-video-id="${videoId}"]`);
  await card.waitFor({ timeout: 30000 });
  const reasons = await card.locator("ul li").allTextContents();
  const frames = await card.locator("figure img").evaluateAll((images) =>
    Promise.all(images.map((image) => image.decode().then(() => ({ alt: image.alt, width: image.naturalWidth }), () => ({ alt: image.alt, width: 0 })))),
  );
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await card.getByRole("button", { name: decision === "approve" ? "Approve" : "Reject" }).click();
  await card.waitFor({ state: "detached", timeout: 30000 });
  return { reasons, frames, note: await page.locator("main [role=status]").first().textContent() };
});
