/** The creator's view: my videos at every stage (`GET /videos?author=me`), newest first, a page at a time;
 * one video's detail (`#/videos/<id>`): its counts, renditions, moderation verdict, its stage timeline
 * live until it is final, and archiving (`POST /videos/{id}/archive`) once it is published. */

import { describeError } from "../api";
import type { AppContext, View } from "../app";
import { formatCount, h, replace } from "../dom";
import type { Page, Video } from "../types";
import { videoStatus } from "./video-status";

const PAGE = 20;

function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function badge(status: string): HTMLElement {
  return h("span", { class: `badge ${status}` }, status);
}

export function myVideosView(context: AppContext, params: string[] = []): View {
  const [videoId] = params;
  if (videoId) return videoDetail(context, videoId);
  const body = h("tbody", {});
  const more = h("button", { type: "button", class: "link", hidden: true }, "More");
  const note = h("p", { class: "hint", role: "status" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "mine-heading" },
    h("h1", { id: "mine-heading" }, "My videos"),
    h(
      "table",
      { "data-testid": "my-videos" },
      h("caption", { class: "visually-hidden" }, "My videos, newest first"),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Storage"), h("th", { scope: "col" }, "Uploaded")),
      ),
      body,
    ),
    more,
    note,
  );
  let cursor: string | null = null;
  const load = (): void => {
    more.disabled = true;
    context.api
      .get<Page<Video>>("/videos", { author: "me", limit: PAGE, cursor })
      .then((page) => {
        for (const video of page.items) {
          body.appendChild(
            h(
              "tr",
              { "data-video-id": video.video_id },
              h("td", {}, h("a", { href: `#/videos/${video.video_id}` }, video.title || video.video_id)),
              h("td", {}, badge(video.status)),
              h("td", {}, video.storage_tier ?? ""),
              h("td", {}, when(video.created_at)),
            ),
          );
        }
        cursor = page.cursor;
        more.hidden = cursor === null;
        if (!body.firstChild) note.replaceChildren("No videos yet. ", h("a", { href: "#/upload" }, "Upload one."));
      })
      .catch((error: unknown) => {
        note.textContent = describeError(error);
      })
      .finally(() => {
        more.disabled = false;
      });
  };
  more.addEventListener("click", load);
  load();
  return { element, title: "My videos" };
}

function videoDetail(context: AppContext, videoId: string): View {
  const stop = new AbortController();
  const summary = h("div", {});
  const actions = h("p", { class: "actions" });
  const note = h("p", { class: "hint", role: "status" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "detail-heading" },
    h("p", {}, h("a", { href: "#/videos" }, "All my videos")),
    h("h1", { id: "detail-heading" }, "Video"),
    summary,
    actions,
    note,
    h("h2", {}, "Pipeline"),
    videoStatus(context.api, videoId, stop.signal, (video) => show(video)),
  );
  const heading = element.querySelector("h1");

  const show = (video: Video): void => {
    if (heading) heading.textContent = video.title || video.video_id;
    const counts = [
      ["Likes", video.like_count],
      ["Plays", video.play_count],
      ["Comments", video.comment_count],
      ["Shares", video.share_count],
    ] as const;
    replace(
      summary,
      h("p", {}, badge(video.status), " ", video.storage_tier ? `storage: ${video.storage_tier}` : ""),
      h(
        "dl",
        { class: "counts" },
        ...counts.flatMap(([label, count]) => [h("dt", {}, label), h("dd", {}, formatCount(count ?? 0))]),
      ),
      video.renditions?.length
        ? h(
            "p",
            {},
            "Renditions: ",
            video.renditions.map((r) => `${r.name} ${r.codec} ${Math.round(r.bitrate / 1000)} kb/s`).join(", "),
          )
        : null,
      video.moderation?.decision ? h("p", {}, `Moderation: ${video.moderation.decision}`) : null,
      video.failure ? h("p", { class: "error" }, `Failed at ${video.failure.stage}: ${video.failure.message} (${video.failure.code})`) : null,
    );
    replace(actions);
    if (video.status === "PUBLISHED") {
      actions.appendChild(h("a", { href: `#/watch/${video.video_id}` }, "Watch"));
      if (video.storage_tier === "hot" || video.storage_tier === "warm") {
        const archive = h("button", { type: "button", class: "link", "data-testid": "archive" }, "Archive (move to cold storage)");
        archive.addEventListener("click", () => {
          archive.disabled = true;
          context.api
            .post<{ storage_tier: string }>(`/videos/${encodeURIComponent(video.video_id)}/archive`)
            .then((answer) => {
              note.textContent = `Archived: now ${answer.storage_tier}. Its link keeps working (low quality until restored).`;
              return context.api.get<Video>(`/videos/${encodeURIComponent(video.video_id)}`).then(show);
            })
            .catch((error: unknown) => {
              note.textContent = describeError(error);
              archive.disabled = false;
            });
        });
        actions.append(" ", archive);
      }
    }
  };
  context.api
    .get<Video>(`/videos/${encodeURIComponent(videoId)}`)
    .then(show)
    .catch((error: unknown) => {
      note.textContent = describeError(error);
    });
  return { element, title: "Video", destroy: () => stop.abort() };
}
