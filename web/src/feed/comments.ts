/** A video's comments in a modal dialog: the newest first (the caller also sees their own pending or
 * held ones, marked), and a form to add one. Comment text is shown as text, never as markup. */

import { describeError, type Api } from "../api";
import { h, replace } from "../dom";
import type { Comment, Page } from "../types";

export function openComments(api: Api, videoId: string, title: string, onCount: (delta: number) => void): void {
  const list = h("ol", { class: "comments", "aria-live": "polite" });
  const status = h("p", { class: "hint", role: "status" });
  const text = h("textarea", {
    id: "comment-text",
    name: "text",
    maxlength: 500,
    required: true,
    rows: 2,
    placeholder: "Add a comment",
  });
  const send = h("button", { type: "submit", class: "primary" }, "Post");
  const close = h("button", { type: "button", class: "link", "aria-label": "Close comments" }, "Close");
  const form = h(
    "form",
    { class: "comment-form" },
    h("label", { for: "comment-text", class: "visually-hidden" }, "Comment"),
    text,
    send,
  );
  const dialog = h(
    "dialog",
    { class: "sheet", "aria-labelledby": "comments-title" },
    h("header", {}, h("h2", { id: "comments-title" }, `Comments: ${title}`), close),
    list,
    status,
    form,
  );
  const path = `/videos/${encodeURIComponent(videoId)}/comments`;

  const show = (comments: Comment[]): void => {
    replace(
      list,
      ...comments.map((comment) =>
        h(
          "li",
          { class: `comment ${comment.status}` },
          h("strong", {}, comment.author_name),
          " ",
          h("span", {}, comment.text),
          comment.status === "visible" ? null : h("em", {}, ` (${comment.status}: only you see it for now)`),
        ),
      ),
    );
    if (comments.length === 0) replace(list, h("li", { class: "hint" }, "No comments yet."));
  };
  const load = async (): Promise<void> => {
    try {
      show((await api.get<Page<Comment>>(path, { order: "newest", limit: 50 })).items);
    } catch (error) {
      status.textContent = describeError(error);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send.disabled = true;
    api
      .post<Comment>(path, { text: text.value })
      .then(() => {
        text.value = "";
        status.textContent = "Posted: it shows once moderation has read it.";
        onCount(1);
        return load();
      })
      .catch((error: unknown) => {
        status.textContent = describeError(error);
      })
      .finally(() => {
        send.disabled = false;
      });
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  void load();
}
