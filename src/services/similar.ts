// Near-duplicate images: assets whose perceptual hash is within a Hamming distance of the asset's own,
// nearest first, limited to what the actor may see. The search runs in the database over the chunk
// index (repositories/phash-index.ts), so it stays fast at millions of images.
import { AppError, notFound, usageError } from '../errors.ts';
import { phashOf } from '../analysers/phash.ts';
import type { AssetsRepo } from '../repositories/assets.ts';
import type { PhashIndexRepo } from '../repositories/phash-index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { AccessPolicy } from './access.ts';
import type { Actor, AuditService } from './audit.ts';

export const DEFAULT_MAX_DISTANCE = 10;
export const MAX_DISTANCE = 32;

export interface SimilarResponse {
  assetId: string;
  similar: Array<{ assetId: string; path: string; distance: number }>;
}

export interface SimilarOptions {
  maxDistance?: number;
  purpose?: string | null;
  limit?: number;
}

export class SimilarService {
  private readonly d: { assets: AssetsRepo; phash: PhashIndexRepo; blobs: BlobStore; access: AccessPolicy; audit: AuditService };
  constructor(d: SimilarService['d']) {
    this.d = d;
  }

  async similar(id: string, actor: Actor, opts: SimilarOptions = {}): Promise<SimilarResponse> {
    const maxDistance = opts.maxDistance ?? DEFAULT_MAX_DISTANCE;
    if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > MAX_DISTANCE)
      throw usageError(`--max-distance must be a whole number from 0 to ${MAX_DISTANCE}`);
    const limit = opts.limit ?? 100;
    const purpose = opts.purpose ?? null;
    const a = await this.d.assets.get(id);
    if (!a) {
      await this.d.audit.record({ actor: actor.name, action: 'search', target: id, purpose, outcome: 'not_found', detail: { similar: true } });
      throw notFound(`asset ${id}`);
    }
    await this.d.access.check(actor, 'show', a.collection, purpose, a.id);
    const hash = await this.hashOf(a.sha256, a.type);
    // Other collections only where the actor may look with this purpose (null = everywhere).
    const collections = await this.d.access.readableCollections(actor, 'show', null, purpose, '');
    const rows = await this.d.phash.near(hash, maxDistance, { collections, excludeAssetId: a.id, limit });
    const similar = rows.map((r) => ({ assetId: r.assetId, path: r.path, distance: r.distance }));
    await this.d.audit.record({
      actor: actor.name, action: 'search', target: a.id, purpose, outcome: 'ok',
      detail: { similar: true, maxDistance, hits: similar.length },
    });
    return { assetId: a.id, similar };
  }

  /** The indexed hash, or (image not analysed yet) one computed now from the blob. */
  private async hashOf(sha256: string, type: string): Promise<string> {
    const known = await this.d.phash.get(sha256);
    if (known) return known;
    if (type !== 'image') throw new AppError('E_NOT_IMAGE', `similar works on images; this asset is ${type === 'other' ? 'not an image' : `a ${type}`}`, 'usage');
    const local = await this.d.blobs.localPath(sha256);
    try {
      return await phashOf(local.path);
    } finally {
      await local.release();
    }
  }
}
