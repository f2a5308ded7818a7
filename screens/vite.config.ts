// The screens' build: one page, its router drawing the screen the path names. The kitchen and
// floor load first and small; the back office (and its chart library) is split into a chunk of
// its own, fetched only by those who open it.
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: true,
    chunkSizeWarningLimit: 300,
  },
  // `npm run dev` forwards the API to a `brigade serve` on 8080.
  server: { proxy: { "/api": "http://127.0.0.1:8080", "/health": "http://127.0.0.1:8080" } },
});
