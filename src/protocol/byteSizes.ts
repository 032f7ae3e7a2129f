/**
 * Sizes as people read them, in decimal units as file managers and download pages show them.
 * One function for every message: model downloads, disk space, image limits.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${Number(value.toFixed(value >= 100 ? 0 : 1))} ${units[unit]}`;
}
