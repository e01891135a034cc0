/** A video's way through the pipeline, live: its status and the per-stage timeline (`GET /videos/{id}`,
 * polled until the video is published, rejected or failed), with the failure's stage, code and reason. */

import { describeError, type Api } from "../api";
import { h, replace, sleep } from "../dom";
import type { StageRun, Video } from "../types";

const FINAL = new Set(["PUBLISHED", "REJECTED", "FAILED"]);
const POLL_MS = 1000;

function seconds(run: StageRun): string {
  if (!run.started_at || !run.ended_at) return "";
  const took = (Date.parse(run.ended_at) - Date.parse(run.started_at)) / 1000;
  return Number.isFinite(took) ? `${took.toFixed(1)} s` : "";
}

export function renderTimeline(video: Video): HTMLElement {
  const runs = video.timeline ?? [];
  return h(
    "ol",
    { class: "timeline", "aria-label": "Stages", "data-testid": "timeline" },
    ...runs.map((run) =>
      h(
        "li",
        { class: `run ${run.outcome}`, "data-stage": run.stage, "data-outcome": run.outcome },
        h("span", { class: "stage-name" }, run.stage),
        h("span", { class: "stage-outcome" }, run.outcome + (run.code ? ` (${run.code})` : "")),
        h("span", { class: "stage-time" }, seconds(run)),
      ),
    ),
  );
}

/** An element that follows the video until it is final (or `signal` aborts); `onFinal` gets the last view. */
export function videoStatus(api: Api, videoId: string, signal: AbortSignal, onFinal: (video: Video) => void = () => undefined): HTMLElement {
  const status = h("p", { class: "status", "data-testid": "video-status", role: "status", "aria-live": "polite" }, "Waiting for the pipeline...");
  const detail = h("div", {});
  const element = h("section", { class: "video-status", "aria-label": "Processing" }, status, detail);
  const follow = async (): Promise<void> => {
    let shown = "";
    while (!signal.aborted) {
      try {
        const video = await api.get<Video>(`/videos/${encodeURIComponent(videoId)}`);
        if (video.status !== shown) {
          shown = video.status;
          status.textContent = video.status;
          status.dataset["status"] = video.status;
        }
        const failure = video.failure
          ? h("p", { role: "alert", class: "error", "data-testid": "failure" }, `Failed at ${video.failure.stage}: ${video.failure.message} (${video.failure.code})`)
          : null;
        const done =
          video.status === "PUBLISHED"
            ? h("p", {}, h("a", { href: `#/watch/${video.video_id}`, "data-testid": "watch-link" }, "Watch it"))
            : null;
        replace(detail, renderTimeline(video), failure, done);
        if (FINAL.has(video.status)) {
          onFinal(video);
          return;
        }
      } catch (error) {
        status.textContent = `Cannot read the video: ${describeError(error)}`;
      }
      await sleep(POLL_MS, signal).catch(() => undefined);
    }
  };
  void follow();
  return element;
}
