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
}

export interface SealedItems {
  put(item: StoredItem, sealed: Buffer): Promise<void>;
  get(id: string): Promise<{ item: StoredItem; sealed: Buffer } | undefined>;
  /** A kind's items for a gateway, oldest first. */
  list(kind: StoredKind, subject: string): Promise<StoredItem[]>;
  /** Records a link's nonce as used: true the first time, false ever after (across restarts and instances). */
  markUsed(nonce: string, at: string): Promise<boolean>;
}
