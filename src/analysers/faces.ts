// `faces` analyser: face DETECTION only (boxes and scores), used to hide faces in exports.
// No embeddings, no matching, no age/gender/emotion: those models are never loaded.
import type { Analyser } from './types.ts';
import { detectFaces, type DetectedFace } from '../engines/human.ts';

export { detectFaces };

export interface FacesResult { faces: DetectedFace[] }

export const facesAnalyser: Analyser<FacesResult> = {
  id: 'faces',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'image',
  async run(input) {
    // Faces are not indexed as text: the archive does not make people searchable by their faces.
    return { result: { faces: await detectFaces(input.path) } };
  },
};

export default facesAnalyser;
