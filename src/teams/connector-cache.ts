/**
 * Reuses one ConnectorClient per (app id, service URL, audience) instead of building two HTTP pipelines
 * per turn ("fix A" in ../shared/reference/latency-notes.md: ~11 % of CPU per turn). A client holds no
 * per-turn state and signs each request through its credentials, which refresh their own tokens.
 */
import { ConnectorFactoryImpl } from 'botframework-connector/lib/auth/connectorFactoryImpl';
import { AuthenticationConstants, type BotFrameworkAuthentication, type ClaimsIdentity, type ConnectorClient, type UserTokenClient } from 'botframework-connector';
import { sendActivitiesAsJson } from './activity-body';
import { throttleConnectorClient } from './outbox';

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
      // Each new client gets the Teams throttle in place of the SDK's retry policy (outbox.ts says why),
      // and sends activities without the mapper walk (activity-body.ts).
      client = original.call(this, serviceUrl, audience).then((c) => {
        throttleConnectorClient(c);
        sendActivitiesAsJson(c);
        return c;
      });
      if (cache.size >= 64) cache.delete(cache.keys().next().value!);
      cache.set(key, client);
      client.catch(() => cache.delete(key));
    }
    return client;
  };
  proto[patched] = true;
}

/**
 * The other half of fix A: CloudAdapter builds a UserTokenClient (a second HTTP pipeline) on every turn,
 * and Switchboard never uses one per turn. One per app id (the token's audience) is enough.
 */
export function cacheUserTokenClients(auth: BotFrameworkAuthentication): void {
  const original = auth.createUserTokenClient.bind(auth);
  const cache = new Map<string, Promise<UserTokenClient>>();
  auth.createUserTokenClient = (identity: ClaimsIdentity) => {
    const key = identity.getClaimValue(AuthenticationConstants.AudienceClaim) ?? identity.getClaimValue(AuthenticationConstants.AppIdClaim) ?? '';
    let client = cache.get(key);
    if (!client) {
      client = original(identity);
      cache.set(key, client);
      client.catch(() => cache.delete(key));
    }
    return client;
  };
}
