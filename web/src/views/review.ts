/** The reviewer's queue (the `reviewer` group only; the API refuses anyone else): videos held by
 * moderation, oldest first, with the model's reasons and the flagged frames, approved or rejected with
 * an optional reason (the held workflow resumes and publishes or rejects); then the held comments. */

import { describeError } from "../api";
import { isReviewer, type AppContext, type View } from "../app";
import { h, replace } from "../dom";
import type { Comment, Page, ReviewItem } from "../types";

function reasonText(reason: unknown): string {
  if (typeof reason === "string") return reason;
  if (reason && typeof reason === "object") {
    const fields = reason as Record<string, unknown>;
    const label = fields["label"] ?? fields["reason"] ?? fields["code"];
    const score = typeof fields["score"] === "number" ? ` ${(fields["score"] * 100).toFixed(0)} %` : "";
    if (label !== undefined) return `${String(label)}${score}`;
  }
  return JSON.stringify(reason);
}

function frame(shot: Record<string, unknown>): HTMLElement {
  const label = `${String(shot["label"] ?? "frame")} at ${Number(shot["time_s"] ?? 0).toFixed(1)} s` +
    (typeof shot["score"] === "number" ? ` (${(shot["score"] * 100).toFixed(0)} %)` : "");
  return h(
    "figure",
    { class: "flagged" },
    h("img", { src: String(shot["url"] ?? ""), alt: label, loading: "lazy", width: 160, height: 90 }),
    h("figcaption", {}, label),
  );
}

export function reviewView(context: AppContext): View {
  const videos = h("div", { class: "review-list", "data-testid": "review-queue" });
  const comments = h("div", { class: "review-list" });
  const note = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "review-heading" },
    h("h1", { id: "review-heading" }, "Review queue"),
    isReviewer(context.session) ? null : h("p", { class: "error" }, "Reviewers only: the API refuses this queue to anyone else."),
    note,
    h("h2", {}, "Held videos"),
    videos,
    h("h2", {}, "Held comments"),
    comments,
  );

  const decideVideo = (item: ReviewItem, card: HTMLElement, decision: "approve" | "reject", reason: string): void => {
    for (const button of card.querySelectorAll("button")) button.disabled = true;
    context.api
      .post(`/moderation/${encodeURIComponent(item.video_id)}/decision`, reason ? { decision, reason } : { decision })
      .then(() => {
        card.remove();
        note.textContent = `${decision === "approve" ? "Approved" : "Rejected"}: ${item.title}. The workflow resumes.`;
      })
      .catch((error: unknown) => {
        note.textContent = describeError(error);
        for (const button of card.querySelectorAll("button")) button.disabled = false;
      });
  };

  const videoCard = (item: ReviewItem): HTMLElement => {
    const reason = h("input", { type: "text", maxlength: 500, "aria-label": `Reason for ${item.title}`, placeholder: "Reason (optional)" });
    const card = h(
      "article",
      { class: "review-item", "data-video-id": item.video_id },
      h("h3", {}, item.title),
      h("p", { class: "hint" }, `Waiting since ${new Date(item.waiting_since).toLocaleString()}`),
      h("ul", {}, ...item.reasons.map((r) => h("li", {}, reasonText(r)))),
      h("div", { class: "frames" }, ...item.flagged_frames.map(frame)),
      reason,
      h(
        "p",
        { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => decideVideo(item, card, "approve", reason.value.trim()) }, "Approve"),
        " ",
        h("button", { type: "button", onclick: () => decideVideo(item, card, "reject", reason.value.trim()) }, "Reject"),
      ),
    );
    return card;
  };

  const commentCard = (comment: Comment & { flags?: string[] }): HTMLElement => {
    const card = h(
      "article",
      { class: "review-item" },
      h("p", {}, h("strong", {}, comment.author_name), " ", comment.text),
      h("p", { class: "hint" }, `Held for: ${(comment.flags ?? []).join(", ")}`),
    );
    const decide = (decision: "approve" | "reject"): void => {
      context.api
        .post(`/moderation/comments/${encodeURIComponent(comment.video_id)}/${encodeURIComponent(comment.comment_id)}/decision`, { decision })
        .then(() => card.remove())
        .catch((error: unknown) => (note.textContent = describeError(error)));
    };
    card.appendChild(
      h(
        "p",
        { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => decide("approve") }, "Show"),
        " ",
        h("button", { type: "button", onclick: () => decide("reject") }, "Delete"),
      ),
    );
    return card;
  };

  context.api
    .get<Page<ReviewItem>>("/moderation/queue", { limit: 20 })
    .then((page) => replace(videos, ...(page.items.length ? page.items.map(videoCard) : [h("p", { class: "hint" }, "Nothing held.")])))
    .catch((error: unknown) => replace(videos, h("p", { class: "error" }, describeError(error))));
  context.api
    .get<Page<Comment & { flags?: string[] }>>("/moderation/comments", { limit: 20 })
    .then((page) => replace(comments, ...(page.items.length ? page.items.map(commentCard) : [h("p", { class: "hint" }, "Nothing held.")])))
    .catch((error: unknown) => replace(comments, h("p", { class: "error" }, describeError(error))));
  return { element, title: "Review queue" };
}
