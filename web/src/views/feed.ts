/** The full-screen vertical feed (`GET /feed`): one video at a time, moved with the arrow keys, a swipe
 * or the wheel. The shown video plays muted until the viewer unmutes (browsers allow muted autoplay
 * only); the next one is pre-loaded to half its length, so it starts at once; the others keep only their
 * poster. `#/watch/<id>` opens a given video first (a search result, a shared link, a reload: the
 * address follows the video shown). */

import { ApiError, describeError } from "../api";
import type { AppContext, View } from "../app";
import { h, replace } from "../dom";
import { icon } from "../icons";
import { PlayTracker } from "../feed/beacons";
import { openComments } from "../feed/comments";
import { Player } from "../feed/player";
import { searchBox } from "../feed/search";
import { Slide, type SlideActions } from "../feed/slide";
import type {
  FeedItem,
  FeedPage,
  FollowAnswer,
  LikeAnswer,
  PlaybackAnswer,
  Profile,
  ShareAnswer,
  Video,
} from "../types";

const PAGE_SIZE = 10;
const PRELOAD_AFTER_AHEAD_S = 8;
const LOAD_MORE_WHEN_LEFT = 3;
const SWIPE_PX = 50;
const WHEEL_PAUSE_MS = 500;
const MUTED_KEY = "reelstack.muted";
/** Data saver: no pre-load of the next video (it loads when shown). Kept per browser. */
export const DATA_SAVER_KEY = "reelstack.dataSaver";

interface Playing {
  player: Player;
  tracker: PlayTracker | null;
}

export function feedView(context: AppContext, startId: string | null): View {
  const feed = new Feed(context, startId);
  return { element: feed.element, title: "Feed", destroy: () => feed.destroy() };
}

function itemOf(video: Video): FeedItem {
  return {
    video_id: video.video_id,
    title: video.title,
    author: video.owner,
    poster_url: video.poster_url ?? null,
    playback_url: video.playback_url ?? null,
    duration: video.duration_s ?? null,
    like_count: video.like_count ?? 0,
    reason: "opened by link",
  };
}

class Feed implements SlideActions {
  readonly element: HTMLElement;
  private readonly track: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly live: HTMLElement;
  private readonly muteButton: HTMLButtonElement;
  private readonly slides: Slide[] = [];
  private readonly playing = new Map<string, Playing>();
  private readonly playbackUrls = new Map<string, Promise<string | null>>();
  private readonly authors = new Map<string, Promise<Profile | null>>();
  private following: Promise<Set<string>>;
  private index = 0;
  private cursor: string | null = null;
  private exhausted = false;
  private loading: Promise<void> | null = null;
  private muted = sessionStorage.getItem(MUTED_KEY) !== "false";
  private dataSaver = localStorage.getItem(DATA_SAVER_KEY) === "on";
  private readonly saverButton: HTMLButtonElement;
  private wheelAt = 0;
  private touchY: number | null = null;
  private readonly onKey = (event: KeyboardEvent): void => this.key(event);

  constructor(
    private readonly context: AppContext,
    startId: string | null,
  ) {
    this.track = h("div", { class: "track" });
    this.banner = h("p", { class: "degraded", role: "status", hidden: true, "data-testid": "degraded" });
    this.live = h("p", { class: "visually-hidden", "aria-live": "polite" });
    this.muteButton = h("button", {
      type: "button",
      class: "mute",
      "data-testid": "mute",
      onclick: () => this.setMuted(!this.muted),
    });
    this.saverButton = h("button", {
      type: "button",
      class: "saver",
      "data-testid": "data-saver",
      onclick: () => this.setDataSaver(!this.dataSaver),
    });
    const moves = h(
      "div",
      { class: "moves" },
      h("button", { type: "button", "aria-label": "Previous video", onclick: () => this.move(-1) }, icon("up")),
      h("button", { type: "button", "aria-label": "Next video", onclick: () => this.move(1) }, icon("down")),
    );
    this.element = h(
      "section",
      { class: "feed", "aria-label": "Video feed", "aria-roledescription": "carousel", tabindex: 0 },
      h("div", { class: "feed-top" }, searchBox(context.api, (id) => context.navigate(`#/watch/${id}`)), this.banner),
      this.track,
      this.muteButton,
      this.saverButton,
      moves,
      this.live,
    );
    this.element.addEventListener("touchstart", (event) => {
      this.touchY = event.touches[0]?.clientY ?? null;
    }, { passive: true });
    this.element.addEventListener("touchend", (event) => this.swipe(event.changedTouches[0]?.clientY ?? null));
    this.element.addEventListener("wheel", (event) => this.wheel(event), { passive: true });
    window.addEventListener("keydown", this.onKey);
    this.setMuted(this.muted);
    this.setDataSaver(this.dataSaver);
    this.following = this.loadFollowing();
    void this.start(startId);
  }

  // -- loading -----------------------------------------------------------------------------------------

  private async start(startId: string | null): Promise<void> {
    if (startId) {
      try {
        const video = await this.context.api.get<Video>(`/videos/${encodeURIComponent(startId)}`);
        if (video.status === "PUBLISHED") this.add([itemOf(video)]);
        else this.say(`That video is ${video.status.toLowerCase()}, not playable yet.`);
      } catch (error) {
        this.say(`That video cannot be shown: ${describeError(error)}`);
      }
    }
    await this.loadMore();
    if (this.slides.length > 0) this.show(0);
    else this.empty();
  }

  private loadMore(): Promise<void> {
    if (this.exhausted) return Promise.resolve();
    this.loading ??= this.context.api
      .get<FeedPage>("/feed", { limit: PAGE_SIZE, cursor: this.cursor })
      .then((page) => {
        // The last page of a feed (no cursor) is not the end: a fresh first page leaves out what was
        // served, so it brings the videos not shown yet. Only a page with nothing new is the end.
        this.cursor = page.next_cursor;
        this.markDegraded(page);
        const known = new Set(this.slides.map((slide) => slide.item.video_id));
        const fresh = page.items.filter((item) => !known.has(item.video_id) && item.playback_url);
        this.exhausted = fresh.length === 0;
        this.add(fresh);
      })
      .catch((error: unknown) => {
        const retry = error instanceof ApiError && error.retryAfterS ? ` Retrying in ${error.retryAfterS} s.` : "";
        this.say(`The feed did not load: ${describeError(error)}.${retry}`);
        if (retry && error instanceof ApiError) setTimeout(() => void this.loadMore(), (error.retryAfterS ?? 1) * 1000);
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private markDegraded(page: FeedPage): void {
    const reasons = page.degraded?.reasons ?? [];
    if (page.mode === "popular") {
      this.banner.textContent = "Popular recommendations";
    } else if (page.mode === "offline" || reasons.length > 0) {
      this.banner.textContent = "Recommendations from your earlier interests";
    } else {
      this.banner.hidden = true;
      return;
    }
    this.banner.hidden = false;
    this.banner.title = reasons.join("; ");
    this.banner.dataset["mode"] = page.mode;
  }

  private add(items: FeedItem[]): void {
    for (const item of items) {
      const slide = new Slide(item, item.author === this.context.session.userId, this);
      this.slides.push(slide);
      this.track.appendChild(slide.element);
      void this.author(item.author).then((profile) => {
        if (profile) slide.update({ authorName: profile.display_name || item.author.slice(0, 8), followers: profile.follower_count });
        else slide.update({ authorName: item.author.slice(0, 8) });
      });
      void this.following.then((set) => {
        if (slide.state.following !== null) slide.update({ following: set.has(item.author) });
      });
    }
    this.layout();
  }

  private empty(): void {
    replace(
      this.track,
      h(
        "div",
        { class: "card empty" },
        h("h2", {}, "No videos yet"),
        h("p", {}, "Nothing is published yet. ", h("a", { href: "#/upload" }, "Upload the first one.")),
      ),
    );
  }

  /** An author's profile (name, follower count), asked once per author. */
  private author(userId: string): Promise<Profile | null> {
    let profile = this.authors.get(userId);
    if (!profile) {
      profile = this.context.api.get<Profile>(`/users/${encodeURIComponent(userId)}`).catch(() => null);
      this.authors.set(userId, profile);
    }
    return profile;
  }

  private async loadFollowing(): Promise<Set<string>> {
    try {
      const me = encodeURIComponent(this.context.session.userId);
      const page = await this.context.api.get<{ items: Array<{ user_id: string }> }>(`/users/${me}/following`, {
        limit: 50,
      });
      return new Set(page.items.map((item) => item.user_id));
    } catch {
      return new Set();
    }
  }

  // -- showing -----------------------------------------------------------------------------------------

  private layout(): void {
    this.track.style.transform = `translateY(${-this.index * 100}%)`;
    this.slides.forEach((slide, i) => {
      const active = i === this.index;
      slide.element.classList.toggle("active", active);
      slide.element.toggleAttribute("inert", !active);
      slide.element.setAttribute("aria-hidden", String(!active));
      slide.element.setAttribute("aria-label", `${i + 1} of ${this.slides.length}: ${slide.item.title}`);
    });
  }

  private show(index: number): void {
    if (index < 0 || index >= this.slides.length) return;
    this.index = index;
    this.layout();
    const current = this.slides[index];
    const next = this.slides[index + 1];
    if (!current) return;
    window.history.replaceState(null, "", `#/watch/${current.item.video_id}`);
    this.live.textContent = `Video ${index + 1} of ${this.slides.length}: ${current.item.title}`;
    for (const [id, playing] of this.playing) {
      if (id !== current.item.video_id && id !== next?.item.video_id) this.stop(id, playing);
      else if (id === next?.item.video_id) {
        playing.tracker?.finish();
        playing.tracker = null;
        playing.player.video.pause();
      }
    }
    void this.play(current);
    if (next && !this.dataSaver) this.preloadAfter(current, next);
    void this.refresh(current);
    if (this.slides.length - index <= LOAD_MORE_WHEN_LEFT) void this.loadMore();
  }

  private stop(id: string, playing: Playing): void {
    playing.tracker?.finish();
    playing.player.destroy();
    this.playing.delete(id);
  }

  private move(step: number): void {
    const target = this.index + step;
    if (target >= this.slides.length) {
      this.say(this.exhausted ? "You are all caught up." : "Loading more videos...");
      void this.loadMore().then(() => {
        if (target < this.slides.length) this.show(target);
      });
      return;
    }
    this.show(Math.max(0, target));
  }

  private playbackUrl(slide: Slide): Promise<string | null> {
    const id = slide.item.video_id;
    let url = this.playbackUrls.get(id);
    if (!url) {
      url = this.context.api
        .get<PlaybackAnswer>(`/videos/${encodeURIComponent(id)}/playback`)
        .then((answer) => {
          if (answer.status === "READY" && answer.playback_url) return answer.playback_url;
          slide.status.textContent = `Coming back from the archive: try again in ${answer.retry_after ?? 60} s.`;
          this.playbackUrls.delete(id);
          return null;
        })
        .catch(() => slide.item.playback_url); // the feed's own URL plays whatever the playback route says
      this.playbackUrls.set(id, url);
    }
    return url;
  }

  private async attach(slide: Slide, preloadS: number | null): Promise<Playing | null> {
    const id = slide.item.video_id;
    const existing = this.playing.get(id);
    if (existing) return existing;
    const player = new Player(slide.video, (name) => {
      slide.rendition.textContent = name;
    });
    const playing: Playing = { player, tracker: null };
    this.playing.set(id, playing);
    slide.video.addEventListener("playerfatal", (event) => {
      slide.status.textContent = `This video cannot play: ${String((event as CustomEvent).detail)}`;
    });
    const url = await this.playbackUrl(slide);
    if (url === null || this.playing.get(id) !== playing) return null;
    await player.load(url, preloadS);
    return playing;
  }

  /** Pre-load `next` once `current` has buffered to its end (or PRELOAD_AFTER_AHEAD_S ahead), so the
   * pre-load never takes bandwidth the video playing still needs; on a fast link that is within a second. */
  private preloadAfter(current: Slide, next: Slide): void {
    const video = current.video;
    const check = (): void => {
      if (this.slides[this.index] !== current) return cleanup(); // moved on meanwhile
      const playing = this.playing.get(current.item.video_id);
      if (!playing || !Number.isFinite(video.duration)) return;
      const ahead = playing.player.bufferedAheadS();
      const left = video.duration - video.currentTime;
      if (ahead >= Math.min(PRELOAD_AFTER_AHEAD_S, left - 0.1)) {
        cleanup();
        void this.preload(next);
      }
    };
    const timer = setInterval(check, 250);
    const cleanup = (): void => {
      clearInterval(timer);
      video.removeEventListener("progress", check);
    };
    video.addEventListener("progress", check);
    check();
  }

  private async preload(slide: Slide): Promise<void> {
    const half = slide.item.duration ? slide.item.duration / 2 : null;
    slide.video.dataset["preload"] = half === null ? "" : half.toFixed(1);
    await this.attach(slide, half ?? 2);
  }

  private async play(slide: Slide): Promise<void> {
    const playing = await this.attach(slide, null);
    if (!playing || this.slides[this.index] !== slide) return;
    playing.player.activate();
    playing.tracker ??= new PlayTracker(
      this.context.api,
      slide.item.video_id,
      slide.video,
      slide.item.duration,
      (answer) => {
        slide.video.dataset["play"] = answer.reason;
      },
    );
    slide.video.muted = this.muted;
    slide.video.play().catch((error: unknown) => {
      if (error instanceof DOMException && error.name === "NotAllowedError" && !slide.video.muted) {
        this.setMuted(true); // the browser refuses sound before a tap: play muted
        void slide.video.play().catch(() => undefined);
      }
    });
  }

  /** The shown video's own counts (the durable like count, whether I liked it, comments, shares). */
  private async refresh(slide: Slide): Promise<void> {
    try {
      const video = await this.context.api.get<Video>(`/videos/${encodeURIComponent(slide.item.video_id)}`);
      slide.update({
        likeCount: video.like_count ?? slide.state.likeCount,
        liked: video.liked_by_me ?? slide.state.liked,
        commentCount: video.comment_count ?? null,
        shareCount: video.share_count ?? null,
      });
    } catch {
      // the feed's counts stay
    }
  }

  private setMuted(muted: boolean): void {
    this.muted = muted;
    sessionStorage.setItem(MUTED_KEY, String(muted));
    const current = this.slides[this.index];
    if (current) current.video.muted = muted;
    replace(this.muteButton, icon(muted ? "muted" : "sound", 20), muted ? " Tap to unmute" : "");
    this.muteButton.setAttribute("aria-label", muted ? "Unmute" : "Mute");
    this.muteButton.setAttribute("aria-pressed", String(!muted));
  }

  private setDataSaver(on: boolean): void {
    this.dataSaver = on;
    localStorage.setItem(DATA_SAVER_KEY, on ? "on" : "off");
    this.saverButton.textContent = on ? "Data saver on" : "Data saver";
    this.saverButton.setAttribute("aria-pressed", String(on));
    this.saverButton.title = on ? "The next video loads only when shown" : "The next video is pre-loaded to half";
  }

  private say(message: string): void {
    this.live.textContent = message;
    const current = this.slides[this.index];
    if (current) current.status.textContent = message;
    else replace(this.track, h("p", { class: "card", role: "status" }, message));
  }

  // -- input -------------------------------------------------------------------------------------------

  private key(event: KeyboardEvent): void {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest("input, textarea, select, dialog") || event.altKey || event.ctrlKey || event.metaKey) return;
    const slide = this.slides[this.index];
    switch (event.key) {
      case "ArrowDown":
      case "PageDown":
      case "j":
        this.move(1);
        break;
      case "ArrowUp":
      case "PageUp":
      case "k":
        this.move(-1);
        break;
      case "m":
        this.setMuted(!this.muted);
        break;
      case "l":
        if (slide) this.like(slide);
        break;
      case " ":
        if (target?.closest("button, a")) return;
        if (slide) this.togglePlay(slide);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  private swipe(endY: number | null): void {
    if (this.touchY === null || endY === null) return;
    const delta = this.touchY - endY;
    this.touchY = null;
    if (Math.abs(delta) >= SWIPE_PX) this.move(delta > 0 ? 1 : -1);
  }

  private wheel(event: WheelEvent): void {
    if ((event.target as HTMLElement).closest(".search-results") || Math.abs(event.deltaY) < 20) return;
    const now = Date.now();
    if (now - this.wheelAt < WHEEL_PAUSE_MS) return;
    this.wheelAt = now;
    this.move(event.deltaY > 0 ? 1 : -1);
  }

  // -- actions (SlideActions) --------------------------------------------------------------------------

  togglePlay(slide: Slide): void {
    if (slide.video.paused) void slide.video.play().catch(() => undefined);
    else slide.video.pause();
  }

  like(slide: Slide): void {
    const path = `/videos/${encodeURIComponent(slide.item.video_id)}/like`;
    const request = slide.state.liked ? this.context.api.delete<LikeAnswer>(path) : this.context.api.post<LikeAnswer>(path);
    request
      .then((answer) => slide.update({ liked: answer.liked, likeCount: answer.like_count }))
      .catch((error: unknown) => this.say(describeError(error)));
  }

  comments(slide: Slide): void {
    openComments(this.context.api, slide.item.video_id, slide.item.title, (delta) => {
      // a new comment counts once moderation shows it; the count is read again then
      if (delta) setTimeout(() => void this.refresh(slide), 3000);
    });
  }

  share(slide: Slide): void {
    this.context.api
      .post<ShareAnswer>(`/videos/${encodeURIComponent(slide.item.video_id)}/share`, { channel: "copy_link" })
      .then(async (answer) => {
        slide.update({ shareCount: answer.share_count });
        try {
          await navigator.clipboard.writeText(answer.url);
          this.say(`Link copied: ${answer.url}`);
        } catch {
          this.say(`Share this link: ${answer.url}`);
        }
      })
      .catch((error: unknown) => this.say(describeError(error)));
  }

  follow(slide: Slide): void {
    const author = slide.item.author;
    const path = `/users/${encodeURIComponent(author)}/follow`;
    const request = slide.state.following
      ? this.context.api.delete<FollowAnswer>(path)
      : this.context.api.post<FollowAnswer>(path);
    request
      .then((answer) => {
        for (const other of this.slides) {
          if (other.item.author === author) other.update({ following: answer.following, followers: answer.follower_count });
        }
        void this.following.then((set) => (answer.following ? set.add(author) : set.delete(author)));
      })
      .catch((error: unknown) => this.say(describeError(error)));
  }

  notInterested(slide: Slide): void {
    this.context.api
      .post(`/videos/${encodeURIComponent(slide.item.video_id)}/not-interested`)
      .then(() => {
        const at = this.slides.indexOf(slide);
        if (at < 0) return;
        const playing = this.playing.get(slide.item.video_id);
        if (playing) this.stop(slide.item.video_id, playing);
        this.slides.splice(at, 1);
        slide.element.remove();
        this.say("Got it: fewer videos like this.");
        if (this.slides.length === 0) this.empty();
        else this.show(Math.min(at, this.slides.length - 1));
      })
      .catch((error: unknown) => this.say(describeError(error)));
  }

  destroy(): void {
    window.removeEventListener("keydown", this.onKey);
    for (const [id, playing] of this.playing) this.stop(id, playing);
  }
}
