// `objects` analyser: COCO objects (CenterNet via @vladmandic/human), labels searchable with their box.
import type { Analyser } from './types.ts';
import { detectObjects, type DetectedObject } from '../engines/human.ts';

export { detectObjects };

export interface ObjectsResult { objects: DetectedObject[] }

export const objectsAnalyser: Analyser<ObjectsResult> = {
  id: 'objects',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'image',
  async run(input) {
    const objects = await detectObjects(input.path);
    return { result: { objects }, text: objects.map((o) => ({ text: o.label, box: o.box })) };
  },
};

export default objectsAnalyser;
