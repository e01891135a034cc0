/** Play beacons as the API counts them (`POST /videos/{id}/plays {session_id, watched_ms}`): one viewing
 * of a video is one session id; `watched_ms` is the time actually played (not seeked over, not paused,
 * loops included). A play counts once it reaches 3 s or half the video, whichever is shorter, so a
 * beacon goes out when that threshold is crossed (the play counts while it is watched) and a last one
 * when the viewer moves on or leaves the page, with the whole time watched. The API counts a viewer once
 * per video per hour, so repeating a beacon is harmless. */

import type { Api } from "../api";
import type { PlayAnswer } from "../types";

export const MIN_WATCHED_MS = 3000;
export const MIN_FRACTION = 0.5;
const MAX_STEP_S = 1.5; // a larger jump of currentTime is a seek, not playing time

export function thresholdMs(durationS: number | null): number {
  if (!durationS || !Number.isFinite(durationS)) return MIN_WATCHED_MS;
  return Math.min(MIN_WATCHED_MS, Math.ceil(durationS * 1000 * MIN_FRACTION));
}

export class PlayTracker {
  readonly sessionId = crypto.randomUUID();
  watchedMs = 0;
  private lastTime: number | null = null;
  private sentMs = 0;
  private crossed = false;
  private readonly detach: () => void;

  constructor(
    private readonly api: Api,
    private readonly videoId: string,
    private readonly video: HTMLVideoElement,
    private readonly durationS: number | null,
    private readonly onAnswer: (answer: PlayAnswer) => void = () => undefined,
  ) {
    const onTime = (): void => this.tick();
    const onJump = (): void => {
      this.lastTime = null;
    };
    const onHide = (): void => this.finish(true);
    video.addEventListener("timeupdate", onTime);
    video.addEventListener("seeking", onJump);
    video.addEventListener("pause", onJump);
    window.addEventListener("pagehide", onHide);
    this.detach = () => {
      video.removeEventListener("timeupdate", onTime);
      video.removeEventListener("seeking", onJump);
      video.removeEventListener("pause", onJump);
      window.removeEventListener("pagehide", onHide);
    };
  }

  private tick(): void {
    const now = this.video.currentTime;
    if (this.lastTime !== null && !this.video.paused && !this.video.seeking) {
      const step = now - this.lastTime;
      if (step > 0 && step <= MAX_STEP_S) this.watchedMs += step * 1000;
    }
    this.lastTime = now;
    if (!this.crossed && this.watchedMs >= thresholdMs(this.durationS ?? this.video.duration)) {
      this.crossed = true;
      this.send(false);
    }
  }

  /** The viewer moved on (or the page is going away: `keepalive` lets the request outlive it). */
  finish(keepalive = false): void {
    this.tick();
    this.detach();
    if (this.watchedMs - this.sentMs >= 250) this.send(keepalive);
  }

  private send(keepalive: boolean): void {
    const watched = Math.round(this.watchedMs);
    this.sentMs = watched;
    this.api
      .post<PlayAnswer>(
        `/videos/${encodeURIComponent(this.videoId)}/plays`,
        { session_id: this.sessionId, watched_ms: watched },
        { keepalive },
      )
      .then(this.onAnswer)
      .catch(() => undefined); // a lost beacon loses one play count, never the viewer's video
  }
}
