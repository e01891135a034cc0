/** The operator page (the `operator` group only; the API refuses anyone else): the feed's degradation
 * mode and each switch with its signal and thresholds (`GET /ops/feed-health`), and a workflow's newest
 * executions with every state's timing drawn to scale (`GET /ops/executions`). Both refresh every
 * `REFRESH_MS` while the page is visible. */

import { describeError } from "../api";
import { isOperator, type AppContext, type View } from "../app";
import { h, replace } from "../dom";
import type { DegradationSwitch, Execution, ExecutionPage, ExecutionState, FeedHealth } from "../types";

const REFRESH_MS = 5000;
const STATUSES = ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/** What each switch means, what it does to the feed, and its signal's unit. */
const LEVELS: Record<DegradationSwitch["level"], { label: string; effect: string; unit: string }> = {
  realtime_stale: { label: "Real-time path", effect: "offline interests", unit: "s lag" },
  search_unhealthy: { label: "Search", effect: "popular videos (hot list)", unit: "% shards missing" },
  overload: { label: "Load", effect: "fewer items, non-core routes paused", unit: "feed pages/s" },
  ranker_down: { label: "Ranker", effect: "fallback order", unit: "failed" },
};

const MODES: Record<FeedHealth["mode"], string> = {
  personalized: "Personalized (normal)",
  offline: "Offline interests (degraded)",
  popular: "Popular recommendations (degraded)",
};

function seconds(value: number): string {
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function age(value: number | null): string {
  return value === null ? "not since this instance started" : `${seconds(value)} ago`;
}

function switchRow(item: DegradationSwitch): HTMLElement {
  const level = LEVELS[item.level];
  const signal =
    item.measured_age_s === null
      ? "not measured yet"
      : item.signal === null
        ? "unknown (its probe failed)"
        : `${item.signal.toFixed(item.signal < 10 ? 2 : 0)} ${level.unit}`;
  return h(
    "tr",
    { "data-level": item.level, class: item.on ? "switch-on" : "switch-off" },
    h("th", { scope: "row" }, level.label),
    h("td", {}, h("span", { class: `badge ${item.on ? "FAILED" : "SUCCEEDED"}` }, item.on ? "ON" : "off")),
    h("td", {}, signal),
    h("td", {}, `on at ${item.enter}, off at ${item.leave} for ${seconds(item.hold_s)}`),
    h("td", {}, item.on ? level.effect : "—"),
    h("td", { class: "hint" }, age(item.changed_age_s)),
  );
}

function healthPanel(health: FeedHealth): HTMLElement[] {
  return [
    h(
      "p",
      { "data-testid": "feed-mode" },
      "Feed mode: ",
      h("strong", { class: health.mode === "personalized" ? "ok" : "warn" }, MODES[health.mode]),
    ),
    h(
      "table",
      { "data-testid": "degradation" },
      h("caption", { class: "visually-hidden" }, "Degradation switches"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Switch", "State", "Signal", "Thresholds", "While on", "Last change"].map((label) => h("th", { scope: "col" }, label)),
        ),
      ),
      h("tbody", {}, ...health.switches.map(switchRow)),
    ),
  ];
}

/** One bar per state, placed at its offset and sized by its time, all on the execution's own scale. */
function stateBars(execution: Execution): HTMLElement {
  const total = Math.max(execution.seconds, ...execution.states.map((s) => s.entered_s + s.seconds), 0.001);
  return h(
    "div",
    { class: "bars", "aria-hidden": "true" },
    ...execution.states.map((state) =>
      h("span", {
        class: `bar ${state.outcome}`,
        title: `${state.name}: ${seconds(state.seconds)} (${state.outcome})`,
        style: `left:${((state.entered_s / total) * 100).toFixed(2)}%;width:${Math.max((state.seconds / total) * 100, 0.5).toFixed(2)}%`,
      }),
    ),
  );
}

function stateItem(state: ExecutionState): HTMLElement {
  const retries = state.attempts > 1 ? `, ${state.attempts} attempts` : "";
  return h(
    "li",
    { class: state.outcome },
    h("span", {}, state.name),
    h("span", { class: "stage-outcome" }, `${state.outcome}${retries}`),
    h("span", { class: "when" }, `at +${seconds(state.entered_s)}, took ${seconds(state.seconds)}`),
    state.error ? h("span", { class: "error" }, `${state.error}${state.cause ? `: ${state.cause}` : ""}`) : null,
  );
}

/** A row; its states' list stays open across refreshes while `opened` holds its name. */
function executionRow(execution: Execution, opened: Set<string>): HTMLElement {
  const where = execution.status === "RUNNING" ? execution.current_state : execution.failed_state;
  return h(
    "tr",
    { "data-execution": execution.name },
    h("td", {}, h("code", {}, execution.name)),
    h("td", {}, h("span", { class: `badge ${execution.status}` }, execution.status)),
    h("td", {}, new Date(execution.started).toLocaleTimeString()),
    h("td", {}, seconds(execution.seconds)),
    h(
      "td",
      { class: "timeline-cell" },
      stateBars(execution),
      h(
        "details",
        {
          open: opened.has(execution.name),
          ontoggle: (event: Event) => {
            const details = event.currentTarget as HTMLDetailsElement;
            if (details.open) opened.add(execution.name);
            else opened.delete(execution.name);
          },
        },
        h("summary", {}, `${execution.states.length} states${where ? ` · ${where}` : ""}${execution.error ? ` · ${execution.error}` : ""}`),
        h("ol", { class: "timeline" }, ...execution.states.map(stateItem)),
      ),
    ),
  );
}

export function operatorView(context: AppContext): View {
  const health = h("div", { "data-testid": "feed-health" }, h("p", { class: "hint" }, "Loading…"));
  const workflow = h("select", { "aria-label": "Workflow" }, h("option", { value: "ingest" }, "ingest"));
  const status = h("select", { "aria-label": "Status" }, ...STATUSES.map((value) => h("option", { value }, value || "any status")));
  const video = h("input", {
    type: "search",
    "aria-label": "Execution name (a video id)",
    placeholder: "video id",
    pattern: "[A-Za-z0-9_\\-]{1,80}", // the v flag wants the hyphen escaped
    maxlength: 80,
  });
  const body = h("tbody", {});
  const table = h(
    "table",
    { "data-testid": "executions" },
    h("caption", { class: "visually-hidden" }, "Newest executions first"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Execution", "Status", "Started", "Took", "States"].map((label) => h("th", { scope: "col" }, label))),
    ),
    body,
  );
  const note = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "card ops", "aria-labelledby": "ops-heading" },
    h("h1", { id: "ops-heading" }, "Operations"),
    isOperator(context.session) ? null : h("p", { class: "error" }, "Operators only: the API refuses this page to anyone else."),
    h("h2", {}, "Feed"),
    health,
    h("h2", {}, "Workflow executions"),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (event: Event) => { event.preventDefault(); refresh(); } },
      workflow, " ", status, " ", video, " ",
      h("button", { type: "submit" }, "Refresh"),
    ),
    h("div", { class: "scroll" }, table),
    note,
  );

  const opened = new Set<string>();
  let inFlight = false;
  const showWorkflows = (names: string[]): void => {
    const current = workflow.value;
    if (names.join() === [...workflow.options].map((o) => o.value).join()) return;
    replace(workflow, ...names.map((name) => h("option", { value: name, selected: name === current }, name)));
  };
  const refresh = (): void => {
    if (inFlight) return;
    inFlight = true;
    // The filters as asked: the answer is labelled with them, whatever the controls say by then.
    const asked = { status: status.value, video: video.validity.valid ? video.value.trim() : "" };
    const executions = context.api
      .get<ExecutionPage>("/ops/executions", {
        workflow: workflow.value,
        status: asked.status || null,
        video: asked.video || null,
      })
      .then((page) => {
        showWorkflows(page.workflows);
        replace(body, ...page.items.map((item) => executionRow(item, opened)));
        table.dataset["filter"] = [page.workflow, asked.status, asked.video].join("/"); // what the rows answer
        const count = page.items.length === 1 ? "The newest execution" : `The ${page.items.length} newest executions`;
        note.textContent = page.items.length
          ? `${count} of ${page.workflow}, as of ${new Date(page.as_of).toLocaleTimeString()}`
          : `No ${page.workflow} executions${asked.status ? ` in ${asked.status}` : ""}${asked.video ? ` named ${asked.video}` : ""}.`;
      })
      .catch((error: unknown) => {
        note.textContent = describeError(error);
      });
    const feed = context.api
      .get<FeedHealth>("/ops/feed-health")
      .then((answer) => replace(health, ...healthPanel(answer)))
      .catch((error: unknown) => replace(health, h("p", { class: "error" }, describeError(error))));
    void Promise.allSettled([executions, feed]).then(() => {
      inFlight = false;
    });
  };
  workflow.addEventListener("change", refresh);
  status.addEventListener("change", refresh);
  const tick = (): void => {
    if (document.visibilityState === "visible") refresh();
  };
  refresh();
  const timer = window.setInterval(tick, REFRESH_MS);
  return { element, title: "Operations", destroy: () => window.clearInterval(timer) };
}
