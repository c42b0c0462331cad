// Box geometry shared by detectors, trackers and redaction. Boxes are [x, y, width, height].
export type Box = [number, number, number, number];

function intersection(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
}

/** Intersection over union. */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** How much of the smaller box the other covers (a box inside a bigger one scores 1). */
export function overlapOfSmaller(a: Box, b: Box): number {
  const small = Math.min(a[2] * a[3], b[2] * b[3]);
  return small > 0 ? intersection(a, b) / small : 0;
}
