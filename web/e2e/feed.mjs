// Scenario: the feed plays. Open a given video in the feed (`#/watch/<id>`) and watch its clock advance;
// check the next one is pre-loaded to about half; move to it with the arrow key (it plays) and back;
// like the video (the count moves at once) and reload until the durable count shows the like.
import { scenario, signIn } from "./browser.mjs";

const ACTIVE = ".slide.active video";

async function clock(page) {
  return page.locator(ACTIVE).evaluate((video) => ({
    currentTime: video.currentTime,
    paused: video.paused,
    muted: video.muted,
    width: video.videoWidth,
    height: video.videoHeight,
    rendition: video.dataset.rendition ?? null,
    videoId: video.closest(".slide").dataset.videoId,
  }));
}

/** Seconds from the slide being shown to its clock passing 0.5 s. */
async function startup(page) {
  const shown = Date.now();
  await page.waitForFunction((selector) => (document.querySelector(selector)?.currentTime ?? 0) > 0.5, ACTIVE, {
    timeout: 30000,
  });
  return (Date.now() - shown) / 1000;
}

/** The next slide's buffered seconds once its pre-load settles (no growth for 1.5 s). */
async function preloaded(page) {
  const read = () =>
    page.evaluate(() => {
      const slide = document.querySelector(".slide.active + .slide");
      const video = slide?.querySelector("video");
      if (!video) return null;
      const ranges = [];
      for (let i = 0; i < video.buffered.length; i += 1) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
      return { videoId: slide.dataset.videoId, ranges, target: Number(video.dataset.preload || 0), currentTime: video.currentTime, paused: video.paused };
    });
  let last = await read();
  for (let stable = 0; last && stable < 3; ) {
    await page.waitForTimeout(500);
    const now = await read();
    stable = JSON.stringify(now) === JSON.stringify(last) && now.ranges.length > 0 ? stable + 1 : 0;
    last = now;
  }
  return last;
}

const likes = (page) => page.locator(".slide.active [data-testid=like]").getAttribute("data-likes").then(Number);

const frameBox = (page) => page.locator(".slide.active .frame").boundingBox();

await scenario(async ({ page }, { base, user, videoId, screenshot, desktopScreenshot, likeWaitMs = 45000 }) => {
  // Layout shifts as Chromium scores them (none expected: the frame's size never depends on the video).
  await page.addInitScript(() => {
    window.__layoutShift = 0;
    window.__shifted = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.hadRecentInput) continue;
        window.__layoutShift += entry.value;
        for (const source of entry.sources ?? []) {
          const node = source.node;
          const name = node?.nodeType === 1 ? `${node.tagName.toLowerCase()}.${node.className}` : String(node?.nodeName);
          window.__shifted.push(`${name} ${JSON.stringify(source.previousRect)} -> ${JSON.stringify(source.currentRect)}`);
        }
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
  // A viewer opens a video in the feed (a link, a search result): it plays, and the feed follows it.
  await signIn(page, base, user, { hash: `#/watch/${videoId}` });
  await page.locator(`.slide.active[data-video-id="${videoId}"] video`).waitFor({ state: "attached", timeout: 30000 });
  const frameBefore = await frameBox(page);
  const watchStartup = await startup(page);
  const frameAfter = await frameBox(page);
  const first = await clock(page);
  await page.waitForTimeout(1000);
  const second = await clock(page);
  const next = await preloaded(page);
  if (screenshot) await page.screenshot({ path: screenshot });

  // The arrow key moves on: the pre-loaded next video starts.
  let moved = null;
  if (next) {
    await page.keyboard.press("ArrowDown");
    await page.locator(`.slide.active[data-video-id="${next.videoId}"]`).waitFor({ timeout: 10000 });
    const nextStartup = await startup(page);
    const nextFirst = await clock(page);
    await page.waitForTimeout(1000);
    moved = { startup: nextStartup, first: nextFirst, second: await clock(page), url: page.url() };
    await page.keyboard.press("ArrowUp");
    await page.locator(`.slide.active[data-video-id="${videoId}"]`).waitFor({ timeout: 10000 });
  }

  // Like: the count moves at once (Redis), and a reload shows it (the durable count, seconds later).
  const before = await likes(page);
  const likeButton = page.locator(".slide.active [data-testid=like]");
  await likeButton.click();
  await page.waitForFunction((n) => Number(document.querySelector(".slide.active [data-testid=like]")?.dataset.likes) === n + 1, before, { timeout: 10000 });
  const pressed = await likeButton.getAttribute("aria-pressed");
  const liked = Date.now();
  let afterReload = null;
  let pressedAfterReload = null;
  let reloads = 0;
  while (Date.now() - liked < likeWaitMs) {
    await page.reload();
    reloads += 1;
    await page.locator(`.slide.active[data-video-id="${videoId}"]`).waitFor({ timeout: 30000 });
    await page.waitForTimeout(700); // the shown video's own counts are read once it is shown
    afterReload = await likes(page);
    pressedAfterReload = await page.locator(".slide.active [data-testid=like]").getAttribute("aria-pressed");
    if (afterReload === before + 1 && pressedAfterReload === "true") break;
    await page.waitForTimeout(1000);
  }
  const layoutShift = await page.evaluate(() => window.__layoutShift);
  const shifted = await page.evaluate(() => window.__shifted);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(500);
  const desktopFrame = await frameBox(page);
  const desktopRail = await page.locator(".slide.active .rail").boundingBox();
  if (desktopScreenshot) await page.screenshot({ path: desktopScreenshot });
  return {
    layout: { frameBefore, frameAfter, layoutShift, shifted, desktopFrame, desktopRail },
    watch: { startup: watchStartup, first, second },
    next,
    moved,
    like: { before, pressed, afterReload, pressedAfterReload, reloads, durableAfterS: (Date.now() - liked) / 1000 },
  };
});
