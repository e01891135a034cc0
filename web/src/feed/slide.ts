/** One video of the feed on screen: a fixed 9:16 frame (poster first, the video over it, so nothing
 * moves when the video loads), its title, author and why it is there, and the action rail (like,
 * comment, share, follow, not interested) with their counts. The slide only draws; the feed view
 * decides what the buttons do. */

import { formatCount, h } from "../dom";
import { icon, type IconName } from "../icons";
import type { FeedItem } from "../types";

export interface SlideActions {
  like(slide: Slide): void;
  comments(slide: Slide): void;
  share(slide: Slide): void;
  follow(slide: Slide): void;
  notInterested(slide: Slide): void;
  togglePlay(slide: Slide): void;
}

export interface SlideState {
  likeCount: number;
  liked: boolean;
  commentCount: number | null;
  shareCount: number | null;
  following: boolean | null; // null: own video (no follow button)
  followers: number | null;
  authorName: string;
}

function railButton(label: string, glyph: IconName, testId: string, onclick: () => void): {
  button: HTMLButtonElement;
  count: HTMLSpanElement;
} {
  const count = h("span", { class: "count", "data-testid": `${testId}-count` });
  const button = h(
    "button",
    { type: "button", class: "rail-button", "aria-label": label, "data-testid": testId, onclick },
    h("span", { class: "icon", "aria-hidden": "true" }, icon(glyph)),
    count,
  );
  return { button, count };
}

export class Slide {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly status: HTMLElement;
  readonly rendition: HTMLElement;
  private readonly like;
  private readonly comment;
  private readonly share;
  private readonly follow: HTMLButtonElement;
  private readonly followLabel: HTMLElement;
  private readonly author: HTMLElement;
  readonly state: SlideState;

  constructor(
    readonly item: FeedItem,
    ownVideo: boolean,
    actions: SlideActions,
  ) {
    this.state = {
      likeCount: item.like_count,
      liked: false,
      commentCount: null,
      shareCount: null,
      following: ownVideo ? null : false,
      followers: null,
      authorName: item.author,
    };
    this.video = h("video", {
      class: "video",
      playsinline: true,
      muted: true,
      loop: true,
      preload: "none",
      "aria-label": `Video: ${item.title}`,
      "data-testid": "feed-video",
    });
    this.video.muted = true; // the attribute alone does not mute a video created by script
    const poster = item.poster_url
      ? h("img", { class: "poster", src: item.poster_url, alt: "", loading: "lazy", decoding: "async" })
      : null;
    this.status = h("p", { class: "slide-status", role: "status" });
    this.rendition = h("span", { class: "rendition", "data-testid": "rendition", "aria-label": "Quality" });
    const frame = h(
      "div",
      { class: "frame", onclick: () => actions.togglePlay(this) },
      poster,
      this.video,
      this.status,
      this.rendition,
    );
    this.like = railButton("Like", "heart", "like", () => actions.like(this));
    this.comment = railButton("Comments", "comment", "comments", () => actions.comments(this));
    this.share = railButton("Share", "share", "share", () => actions.share(this));
    this.followLabel = h("span", { class: "count" }, "Follow");
    this.follow = h(
      "button",
      { type: "button", class: "rail-button follow", "data-testid": "follow", onclick: () => actions.follow(this) },
      h("span", { class: "icon", "aria-hidden": "true" }, icon("follow")),
      this.followLabel,
    );
    const notInterested = h(
      "button",
      {
        type: "button",
        class: "rail-button",
        "aria-label": "Not interested",
        "data-testid": "not-interested",
        onclick: () => actions.notInterested(this),
      },
      h("span", { class: "icon", "aria-hidden": "true" }, icon("block")),
      h("span", { class: "count" }, "Not for me"),
    );
    this.author = h("span", { class: "author" });
    const rail = h(
      "div",
      { class: "rail" },
      ownVideo ? null : this.follow,
      this.like.button,
      this.comment.button,
      this.share.button,
      notInterested,
    );
    const about = h(
      "div",
      { class: "about" },
      h("p", { class: "byline" }, this.author),
      h("h2", { class: "title", "data-testid": "video-title" }, item.title),
      h("p", { class: "reason" }, item.reason),
    );
    this.element = h(
      "article",
      { class: "slide", "aria-roledescription": "video", "data-video-id": item.video_id },
      h("div", { class: "stage" }, frame, rail, about),
    );
    this.render();
  }

  update(change: Partial<SlideState>): void {
    Object.assign(this.state, change);
    this.render();
  }

  private render(): void {
    const { state } = this;
    this.like.count.textContent = formatCount(state.likeCount);
    this.like.button.setAttribute("aria-pressed", String(state.liked));
    this.like.button.setAttribute("aria-label", `Like (${state.likeCount} likes)`);
    this.like.button.dataset["likes"] = String(state.likeCount);
    this.comment.count.textContent = state.commentCount === null ? "" : formatCount(state.commentCount);
    this.share.count.textContent = state.shareCount === null ? "" : formatCount(state.shareCount);
    this.author.textContent = `@${state.authorName}`;
    if (state.following !== null) {
      this.followLabel.textContent = state.followers === null ? (state.following ? "Following" : "Follow") : formatCount(state.followers);
      this.follow.setAttribute("aria-pressed", String(state.following));
      const followers = state.followers === null ? "" : ` (${state.followers} followers)`;
      this.follow.setAttribute("aria-label", `${state.following ? "Unfollow" : "Follow"} ${state.authorName}${followers}`);
    }
  }
}
