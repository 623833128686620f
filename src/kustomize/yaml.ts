// Kept only for modules other branches are changing in parallel (target.ts, transformers/):
// import from yaml-types.ts, yaml-read.ts or yaml-write.ts instead.
export { parseYamlStream, YamlError } from './yaml-read.js';
export type { Json, JsonObject } from './yaml-types.js';
