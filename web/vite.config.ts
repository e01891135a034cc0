// Vite builds the app into dist/ (served by the local cloud at `/`, by CloudFront in AWS). `npm run dev`
// proxies the API and the local sign-in to a running `make up` so the page reloads as it is edited.
import { defineConfig } from "vite";

declare const process: { env: Record<string, string | undefined> }; // Node runs this file (no @types/node)

const api = process.env["REELSTACK_API"] ?? "http://127.0.0.1:8000";
const proxied = ["/config.json", "/_auth", "/feed", "/videos", "/uploads", "/search", "/users", "/me",
  "/moderation", "/notifications", "/s/"];

export default defineConfig({
  build: {
    target: "es2022",
    sourcemap: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: Object.fromEntries(proxied.map((path) => [path, api])) },
});
