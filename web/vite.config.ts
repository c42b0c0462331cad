// The web UI: Preact with Vite's own esbuild JSX transform (no plugin, no own package.json: the
// dependencies are the repository's). `npx vite build web` writes web/dist, served by `vitrine serve`.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
