import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The studio (Django + Channels) answers /api, /ws and the login pages; in development
// Vite proxies them so the session cookie and CSRF cookie live on one origin.
const backend = process.env.RIFFLE_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  // Django serves the built files under /static/; the dev server serves from the root
  // so that client-side routes such as /topologies/1 load directly.
  base: command === "build" ? "/static/" : "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/ws": { target: backend, ws: true, changeOrigin: false },
      "/login": { target: backend, changeOrigin: false },
      "/logout": { target: backend, changeOrigin: false },
      "/admin": { target: backend, changeOrigin: false },
      "/healthz": { target: backend, changeOrigin: false },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
}));
