// Copies the non-TypeScript files the gateway reads at run time (Lua scripts) next to the build.
import { cpSync } from 'node:fs';

cpSync('src/store/redis/lua', 'dist/store/redis/lua', { recursive: true });
