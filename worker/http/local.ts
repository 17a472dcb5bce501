/** A request to a collector on this machine (local development): dev-only pages, non-Secure cookies. */
export const isLocalHost = (url: string): boolean => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname);
