// Scenario for benchmarks/playback.py: one viewer pages through the feed under a throttled network (the
// DevTools protocol's Network.emulateNetworkConditions, on every request of the page: API, playlists,
// segments), with or without the next video's pre-load (the feed's data saver). Per video: the startup
// (the key press to the first frame of motion, `currentTime` past 0 in an animation frame), the stall
// time while it plays (`waiting` to `playing`), the wall time it was shown, and the rendition playing.
import { scenario, signIn } from "./browser.mjs";

const RECORDER = () => {
  const bench = { shownAt: null, moving: null, stalls: [], waitingSince: null, trace: [] };
  window.__bench = bench;
  const active = () => document.querySelector(".slide.active video");
  document.addEventListener("waiting", (event) => {
    if (event.target === active() && bench.moving !== null && bench.waitingSince === null) {
      bench.waitingSince = performance.now();
      const video = event.target;
      const ahead = [...Array(video.buffered.length).keys()].map((i) => [video.buffered.start(i), video.buffered.end(i)]);
      bench.trace.push({ event: "waiting", at: Math.round(bench.waitingSince - bench.moving), t: video.currentTime, rendition: video.dataset.rendition ?? null, buffered: ahead });
    }
  }, true);
  document.addEventListener("playing", (event) => {
    if (event.target === active() && bench.waitingSince !== null) {
      bench.stalls.push(performance.now() - bench.waitingSince);
      bench.waitingSince = null;
    }
  }, true);
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.target === active() && bench.shownAt !== null) {
        bench.trace.push({ event: "rendition", at: Math.round(performance.now() - bench.shownAt), rendition: record.target.dataset.rendition });
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-rendition"] });
  bench.start = () => {
    bench.shownAt = performance.now();
    bench.moving = null;
    bench.stalls = [];
    bench.trace = [];
    bench.waitingSince = null;
    const watch = () => {
      const video = active();
      if (video && video.currentTime > 0.04 && !video.paused) bench.moving = performance.now();
      else requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  };
  bench.finish = () => {
    const video = active();
    const now = performance.now();
    const open = bench.waitingSince !== null ? now - bench.waitingSince : 0;
    return {
      videoId: video?.closest(".slide")?.dataset.videoId ?? null,
      startupMs: bench.moving === null ? null : bench.moving - bench.shownAt,
      shownMs: now - bench.shownAt,
      playMs: bench.moving === null ? 0 : now - bench.moving,
      stallMs: bench.stalls.reduce((a, b) => a + b, 0) + open,
      stalls: bench.stalls.length + (open ? 1 : 0),
      rendition: video?.dataset.rendition ?? null,
      height: video?.videoHeight ?? 0,
      trace: bench.trace,
    };
  };
};

await scenario(async ({ page, context }, { base, user, videos, watchS, profile, preload }) => {
  await page.addInitScript(RECORDER);
  const feedPages = [];
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname !== "/feed") return;
    const body = await response.json().catch(() => null);
    feedPages.push({ status: response.status(), items: body?.items?.length ?? null, cursor: Boolean(body?.next_cursor), mode: body?.mode ?? null });
  });
  await page.addInitScript((saver) => localStorage.setItem("reelstack.dataSaver", saver), preload ? "off" : "on");
  await signIn(page, base, user, { hash: "#/feed" });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: profile.latencyMs,
    downloadThroughput: (profile.downKbps * 1000) / 8,
    uploadThroughput: (profile.upKbps * 1000) / 8,
  });
  await page.reload(); // the feed from the start, under the throttled network
  await page.locator(".slide.active video").waitFor({ state: "attached", timeout: 60000 });
  await page.evaluate(() => window.__bench.start());
  const results = [];
  for (let index = 0; index < videos; index += 1) {
    await page.waitForFunction(() => window.__bench.moving !== null, null, { timeout: 60000 }).catch(() => undefined);
    await page.waitForTimeout(watchS * 1000);
    results.push({ index, ...(await page.evaluate(() => window.__bench.finish())) });
    if (index + 1 === videos) break;
    const shown = await page.locator(".slide.active").getAttribute("data-video-id");
    // The key press as a viewer swipes: at the end of what is loaded, the app loads more first.
    await page.evaluate(() => {
      window.__bench.start();
      document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    });
    const moved = await page
      .waitForFunction((id) => document.querySelector(".slide.active")?.dataset.videoId !== id, shown, { timeout: 30000 })
      .then(() => true, () => false);
    if (!moved) break; // the feed has no more videos
  }
  return { profile: profile.name, preload, results, feedPages };
});
