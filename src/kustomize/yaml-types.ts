// The JSON values the YAML reader produces and the emitter consumes.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}
