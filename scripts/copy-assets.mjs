// Copies the non-TypeScript files the gateway reads at run time (Lua scripts) next to the build.
import { chmodSync, cpSync } from 'node:fs';

cpSync('src/store/redis/lua', 'dist/store/redis/lua', { recursive: true });
// The CLI is run directly (package "bin"), so it must be executable.
chmodSync('dist/cli/main.js', 0o755);
cpSync('src/admin/dashboard.html', 'dist/admin/dashboard.html');
cpSync('src/admin/dashboard', 'dist/admin/dashboard', { recursive: true });
