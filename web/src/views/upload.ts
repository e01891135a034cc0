/** The upload view: pick a file, a title and tags; the chunked upload with its progress bar; then the
 * video's status and stages live. Uploads a reload interrupted are listed and resume when the same file
 * is picked again. */

import { describeError } from "../api";
import type { AppContext, View } from "../app";
import { formatBytes, h, replace } from "../dom";
import { chunkSizeFor, KiB, MiB } from "../upload/chunks";
import { forget, pendingUploads, sameFile, type PendingUpload } from "../upload/resume-store";
import { Uploader, type Progress } from "../upload/uploader";
import { videoStatus } from "./video-status";

const CHUNK_CHOICES: Array<[string, number | null]> = [
  ["Automatic", null],
  ["256 KiB (very weak networks)", 256 * KiB],
  ["1 MiB (weak networks)", MiB],
  ["8 MiB (fast networks)", 8 * MiB],
];

function parseTags(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((tag) => tag.replace(/^#/, "").trim())
    .filter((tag) => tag.length > 0);
}

export function uploadView(context: AppContext): View {
  const stop = new AbortController();
  const file = h("input", { id: "upload-file", type: "file", accept: "video/*", required: true, "data-testid": "file" });
  const title = h("input", { id: "upload-title", type: "text", maxlength: 200, "data-testid": "title" });
  const tags = h("input", { id: "upload-tags", type: "text", placeholder: "cats, funny", "data-testid": "tags" });
  const chunk = h(
    "select",
    { id: "upload-chunk", "data-testid": "chunk-size" },
    ...CHUNK_CHOICES.map(([label, size]) => h("option", { value: size === null ? "" : String(size) }, label)),
  );
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "start-upload" }, "Upload");
  const bar = h("progress", { max: 100, value: 0, "aria-labelledby": "upload-progress-label", "data-testid": "progress" });
  const progressText = h("span", { id: "upload-progress-label", "data-testid": "progress-text" }, "");
  const note = h("p", { class: "hint", role: "status", "data-testid": "upload-note" });
  const statusBox = h("div", {});
  const resumable = h("div", { "data-testid": "resumable" });
  const progress = h("div", { class: "progress", hidden: true }, bar, progressText);

  const form = h(
    "form",
    { class: "card upload-form", "aria-labelledby": "upload-heading" },
    h("h1", { id: "upload-heading" }, "Upload a video"),
    resumable,
    h("label", { for: "upload-file" }, "Video file"),
    file,
    h("label", { for: "upload-title" }, "Title"),
    title,
    h("label", { for: "upload-tags" }, "Tags (comma separated)"),
    tags,
    h("details", {}, h("summary", {}, "Options"), h("label", { for: "upload-chunk" }, "Chunk size"), chunk),
    submit,
    progress,
    note,
    statusBox,
  );

  const show = (state: Progress): void => {
    progress.hidden = false;
    const percent = state.totalBytes ? Math.floor((state.sentBytes / state.totalBytes) * 100) : 0;
    bar.value = percent;
    bar.dataset["parts"] = `${state.doneParts}/${state.totalParts}`;
    progressText.textContent = `${percent}% - ${formatBytes(state.sentBytes)} of ${formatBytes(state.totalBytes)}, chunk ${state.doneParts} of ${state.totalParts}${state.retries ? `, ${state.retries} retries` : ""}`;
    note.textContent = state.message ?? { opening: "Opening the upload...", uploading: "Uploading...", checking: "Checking...", completing: "Completing...", done: "Uploaded." }[state.phase];
  };

  const run = async (work: (uploader: Uploader) => Promise<string>): Promise<void> => {
    const picked = file.files?.[0];
    if (!picked) return;
    submit.disabled = true;
    file.disabled = true;
    replace(statusBox);
    try {
      const videoId = await work(new Uploader(context.api, picked, { onProgress: show, signal: stop.signal }));
      listResumable();
      replace(statusBox, h("h2", {}, "Processing"), videoStatus(context.api, videoId, stop.signal));
    } catch (error) {
      if (stop.signal.aborted) return;
      note.textContent = `The upload stopped: ${describeError(error)}. Pick the same file to resume.`;
      note.setAttribute("role", "alert");
      listResumable();
    } finally {
      submit.disabled = false;
      file.disabled = false;
    }
  };

  const resumeWith = (pending: PendingUpload): void => {
    void run((uploader) => uploader.resume(pending));
  };

  const listResumable = (): void => {
    const kept = pendingUploads().filter((upload) => Date.parse(upload.expires_at) > Date.now());
    if (kept.length === 0) {
      replace(resumable);
      return;
    }
    replace(
      resumable,
      h("h2", {}, "Interrupted uploads"),
      h("p", { class: "hint" }, "Pick the same file again to send the chunks that are missing."),
      h(
        "ul",
        { class: "pending" },
        ...kept.map((upload) =>
          h(
            "li",
            { "data-upload-id": upload.upload_id },
            `${upload.title || upload.name} (${upload.name}, ${formatBytes(upload.size)}) `,
            h("button", { type: "button", class: "link", onclick: () => { forget(upload.upload_id); void context.api.delete(`/uploads/${encodeURIComponent(upload.upload_id)}`).catch(() => undefined); listResumable(); } }, "Discard"),
          ),
        ),
      ),
    );
  };

  file.addEventListener("change", () => {
    const picked = file.files?.[0];
    if (!picked) return;
    if (!title.value) title.value = picked.name.replace(/\.[^.]+$/, "");
    const pending = pendingUploads().find((upload) => sameFile(upload, picked));
    if (pending) {
      title.value = pending.title;
      tags.value = pending.tags.join(", ");
      note.textContent = `Resuming the interrupted upload of ${picked.name}...`;
      resumeWith(pending);
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const picked = file.files?.[0];
    if (!picked) return;
    const size = chunk.value ? Number(chunk.value) : chunkSizeFor(picked.size);
    void run((uploader) => uploader.start(title.value.trim(), parseTags(tags.value), size));
  });
  listResumable();
  return { element: form, title: "Upload", destroy: () => stop.abort() };
}
