// hls.js's light build (no subtitles, alternate audio or DRM, ~40% smaller) has the same API as the full
// one, whose types it shares.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
