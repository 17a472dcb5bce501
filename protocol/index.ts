export * from "./email";
export * from "./limits";
export * from "./schema";
export type * from "./types";
