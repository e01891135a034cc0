/** The few icons the app draws, as inline SVG (no icon font, no emoji a system may lack). Decorative:
 * every control that shows one also has a text label for assistive technology. */

const PATHS = {
  heart: "M12 21s-7.5-4.6-9.6-9.1C.9 8.6 2.9 4.5 6.6 4.5c2.1 0 3.6 1.2 4.4 2.6.8-1.4 2.3-2.6 4.4-2.6 3.7 0 5.7 4.1 4.2 7.4C19.5 16.4 12 21 12 21z",
  comment: "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z",
  share: "M14 4l7 7-7 7v-4c-5 0-8 1.5-11 5 1-5 4-10 11-11V4z",
  block: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 0 1 6.3 12.9L7.1 5.7A8 8 0 0 1 12 4zM5.7 7.1l11.2 11.2A8 8 0 0 1 5.7 7.1z",
  search: "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
  muted: "M3 9h4l5-4v14l-5-4H3V9zm13.6.6L18 11l1.4-1.4 1.4 1.4L19.4 12l1.4 1.4-1.4 1.4L18 13.4l-1.4 1.4-1.4-1.4 1.4-1.4-1.4-1.4 1.4-1.4z",
  sound: "M3 9h4l5-4v14l-5-4H3V9zm12.5-2.5a7 7 0 0 1 0 11l-1.4-1.4a5 5 0 0 0 0-8.2l1.4-1.4z",
  up: "M12 6l7 8H5z",
  follow: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  down: "M12 18l-7-8h14z",
} as const;

export type IconName = keyof typeof PATHS;

export function icon(name: IconName, size = 24): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", PATHS[name]);
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  return svg;
}
