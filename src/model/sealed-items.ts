/**
 * Where the key store keeps what it has sealed (private keys, PFX files) and the links already used: files
 * under DATA_DIR/keys for one instance, the database for several (an item made on one instance is
 * imported or downloaded through another, and a link used on one is used on all).
 */
export type StoredKind = 'private-key' | 'pfx';

export interface StoredItem {
  id: string;
  kind: StoredKind;
  /** The gateway FQDN it belongs to. */
  subject: string;
  createdAt: string;
  /** A PFX: when its one-time link expires, after which nothing can serve it and it is deleted. */
  expiresAt?: string;
}

export interface SealedItems {
  put(item: StoredItem, sealed: Buffer): Promise<void>;
  get(id: string): Promise<{ item: StoredItem; sealed: Buffer } | undefined>;
  /** A kind's items for a gateway, oldest first. */
  list(kind: StoredKind, subject: string): Promise<StoredItem[]>;
  /** PFX files whose link has expired at `at` (one made before links were recorded: a day after it was made). */
  expired(at: string): Promise<StoredItem[]>;
  remove(id: string): Promise<void>;
  /** Records a link's nonce as used: true the first time, false ever after (across restarts and instances). */
  markUsed(nonce: string, at: string): Promise<boolean>;
}

/** The longest a download link may live (DOWNLOAD_LINK_TTL_MINUTES at most a day). */
export const longestLinkMs = 24 * 60 * 60_000;

/** When a PFX can no longer be served: its link's expiry, or for one made before that was recorded, a day on. */
export function pfxExpiry(item: StoredItem): string {
  return item.expiresAt ?? new Date(Date.parse(item.createdAt) + longestLinkMs).toISOString();
}
