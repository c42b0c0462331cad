// Region statistics on a one-channel (greyscale) raw buffer, for the redaction tests: a blurred or
// pixelated region loses fine detail and contrast.
export type Region = [x: number, y: number, w: number, h: number];

/** Mean absolute difference between horizontal and vertical neighbours: fine detail. */
export function detail(buf: Buffer, width: number, [x, y, w, h]: Region | number[]): number {
  let s = 0, n = 0;
  for (let j = y!; j < y! + h! - 1; j++) for (let i = x!; i < x! + w! - 1; i++) {
    const v = buf[j * width + i]!;
    s += Math.abs(v - buf[j * width + i + 1]!) + Math.abs(v - buf[(j + 1) * width + i]!);
    n++;
  }
  return s / n;
}

/** Standard deviation of the region's values: contrast. */
export function stddev(buf: Buffer, width: number, [x, y, w, h]: Region | number[]): number {
  let s = 0, s2 = 0, n = 0;
  for (let j = y!; j < y! + h!; j++) for (let i = x!; i < x! + w!; i++) {
    const v = buf[j * width + i]!;
    s += v; s2 += v * v; n++;
  }
  return Math.sqrt(s2 / n - (s / n) ** 2);
}
