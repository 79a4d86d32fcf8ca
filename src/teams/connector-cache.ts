/**
 * Reuses one ConnectorClient per (app id, service URL, audience) instead of building two HTTP pipelines
 * per turn ("fix A" in ../shared/reference/latency-notes.md: ~11 % of CPU per turn). A client holds no
 * per-turn state and signs each request through its credentials, which refresh their own tokens.
 */
import { ConnectorFactoryImpl } from 'botframework-connector/lib/auth/connectorFactoryImpl';
import type { ConnectorClient } from 'botframework-connector';

const patched = Symbol.for('switchboard.connectorCache');
type Factory = { appId?: string; [patched]?: boolean };

export function cacheConnectorClients(): void {
  const proto = ConnectorFactoryImpl.prototype as unknown as Factory & { create(serviceUrl: string, audience?: string): Promise<ConnectorClient> };
  if (proto[patched]) return;
  const original = proto.create;
  const cache = new Map<string, Promise<ConnectorClient>>();
  proto.create = function (this: Factory, serviceUrl: string, audience?: string) {
    const key = `${this.appId ?? ''}|${serviceUrl}|${audience ?? ''}`;
    let client = cache.get(key);
    if (!client) {
      client = original.call(this, serviceUrl, audience);
      if (cache.size >= 64) cache.delete(cache.keys().next().value!);
      cache.set(key, client);
      client.catch(() => cache.delete(key));
    }
    return client;
  };
  proto[patched] = true;
}
