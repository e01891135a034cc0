/** One video element playing one HLS master playlist: hls.js (adaptive bitrate over the master's
 * renditions) where Media Source Extensions exist, the browser's own HLS elsewhere (Safari, iOS).
 *
 * A player starts in one of two modes: `preload` buffers only the first half of the video (the next
 * video in the feed, so it starts at once when shown, without spending a whole video's bytes on a
 * video that may be skipped) and `play` buffers normally. `activate()` turns a preloaded player into a
 * playing one without reloading anything. hls.js is loaded on first use, so the sign-in and upload
 * views do not download it. */

import type HlsType from "hls.js/light";

type HlsClass = typeof HlsType;
let hlsModule: Promise<HlsClass> | null = null;

function loadHls(): Promise<HlsClass> {
  hlsModule ??= import("hls.js/light").then((module) => module.default);
  return hlsModule;
}

export function nativeHls(video: HTMLVideoElement): boolean {
  return video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

const PLAYING_BUFFER_S = 30;
const MIN_PRELOAD_S = 1;
// hls.js loads another segment while the buffer is shorter than the cap; a buffer ending a hair short of
// a segment boundary would pull one segment more than half, hence the cap a little under the target.
const PRELOAD_SLACK_S = 0.25;

/** Bits per second the link carried for the previous video (hls.js's estimate when its player last
 * loaded a segment): every new player starts from it, not from hls.js's 500 kbps guess, which on a slow
 * link chose no rung and fell back to the top one the player's size allows (then stalled switching down). */
let measuredBps: number | null = null;
/** A start rendition's average bitrate may use this share of the estimate (headroom for peaks and RTTs). */
const START_SHARE = 0.8;

interface StartLevel {
  averageBitrate: number;
}

/** The rendition to start on: the highest of `levels` (sorted by bitrate, as hls.js keeps them) up to
 * `maxLevel` whose average bitrate fits `START_SHARE` of `estimateBps`; the lowest when none does or
 * when nothing was measured yet (the first video starts at once, then the estimate takes over). */
export function startLevel(levels: readonly StartLevel[], maxLevel: number, estimateBps: number | null): number {
  if (estimateBps === null || levels.length === 0) return 0;
  let chosen = 0;
  for (let index = 0; index <= Math.min(maxLevel, levels.length - 1); index += 1) {
    if ((levels[index]?.averageBitrate ?? Infinity) <= START_SHARE * estimateBps) chosen = index;
  }
  return chosen;
}

function linkEstimate(): number | null {
  if (measuredBps !== null) return measuredBps;
  const downlink = (navigator as Navigator & { connection?: { downlink?: number } }).connection?.downlink;
  return downlink && downlink > 0 ? downlink * 1e6 : null;
}

export class Player {
  private hls: HlsType | null = null;
  private destroyed = false;
  /** The rendition playing now (e.g. "720p"), for the overlay and the playback benchmark. */
  rendition: string | null = null;

  constructor(
    readonly video: HTMLVideoElement,
    private readonly onRendition: (name: string) => void = () => undefined,
  ) {}

  /** Attach `url`; `preloadS` caps the buffer at that many seconds until `activate()` (null: no cap). */
  async load(url: string, preloadS: number | null): Promise<void> {
    const video = this.video;
    const Hls = await loadHls();
    if (this.destroyed) return;
    if (Hls.isSupported()) {
      const cap = preloadS === null ? PLAYING_BUFFER_S : Math.max(MIN_PRELOAD_S, preloadS - PRELOAD_SLACK_S);
      const estimate = linkEstimate();
      const hls = new Hls({
        maxBufferLength: cap,
        maxMaxBufferLength: preloadS === null ? PLAYING_BUFFER_S * 2 : cap,
        capLevelToPlayerSize: true,
        startFragPrefetch: true,
        backBufferLength: 10,
        ...(estimate !== null ? { abrEwmaDefaultEstimate: estimate } : {}),
      });
      this.hls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        hls.startLevel = startLevel(hls.levels, hls.maxAutoLevel, estimate);
      });
      hls.on(Hls.Events.FRAG_LOADED, () => {
        const bps = hls.bandwidthEstimate;
        if (Number.isFinite(bps) && bps > 0) measuredBps = bps;
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
        const level = hls.levels[data.level];
        if (level) this.setRendition(level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)}k`);
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else video.dispatchEvent(new CustomEvent("playerfatal", { detail: data.details }));
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (nativeHls(video)) {
      video.preload = "auto";
      video.src = url;
    } else {
      video.dispatchEvent(new CustomEvent("playerfatal", { detail: "this browser cannot play HLS" }));
    }
  }

  /** Lift the preload cap: the shown video buffers as much as a playing one. */
  activate(): void {
    if (this.hls) {
      this.hls.config.maxBufferLength = PLAYING_BUFFER_S;
      this.hls.config.maxMaxBufferLength = PLAYING_BUFFER_S * 2;
      this.hls.startLoad(this.video.currentTime || -1);
    }
  }

  /** Seconds buffered ahead of the playhead. */
  bufferedAheadS(): number {
    const { buffered, currentTime } = this.video;
    for (let i = 0; i < buffered.length; i += 1) {
      if (buffered.start(i) <= currentTime + 0.25 && buffered.end(i) >= currentTime) {
        return buffered.end(i) - currentTime;
      }
    }
    return 0;
  }

  private setRendition(name: string): void {
    this.rendition = name;
    this.video.dataset["rendition"] = name;
    this.onRendition(name);
  }

  destroy(): void {
    this.destroyed = true;
    this.hls?.destroy();
    this.hls = null;
    this.video.removeAttribute("src");
    this.video.load();
  }
}
