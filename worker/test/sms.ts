/** A zone where it is early afternoon at `at`: the tests run on the real clock, and texts keep the night. */
export function daytimeZone(at = Date.now()): string {
  const offset = ((13 - new Date(at).getUTCHours() + 36) % 24) - 12;
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/** A zone where it is the middle of the night at `at`. */
export function nightZone(at = Date.now()): string {
  const offset = ((1 - new Date(at).getUTCHours() + 36) % 24) - 12;
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/** A Spanish mobile number nobody else in the test file has (most likely). */
export const randomPhone = (): string => `+346${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
