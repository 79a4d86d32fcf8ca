/**
 * Activities go to the Connector as JSON of their schema fields, not through the SDK's mapper walk.
 *
 * botframework-connector serializes every reply, send and update by walking the Activity mapper field by
 * field, nested accounts and attachments included: about 6 % of the bot's CPU at 50 conversations in the
 * turn-latency profile (docs/benchmarks.md, stop 16), for a body that is already plain data. What the walk
 * does to an outgoing activity is drop top-level fields the schema does not name (inbound extras such as
 * rawTimestamp) and write Dates as ISO strings; keeping the schema's top-level fields and JSON.stringify
 * do the same (test/teams/activity-body.test.ts compares the two on what Switchboard sends). The rest of
 * the SDK's request (URL, headers, signing, the throttle, errors, the response) is untouched.
 */
import * as Mappers from 'botframework-connector/lib/connectorApi/models/mappers';

/** The parts of @azure/core-client's OperationSpec this uses. */
interface BodyMapperLike {
  serializedName?: string;
  required?: boolean;
  type: { name: string; className?: string };
}
interface OperationSpecLike {
  requestBody?: { parameterPath: unknown; mapper: BodyMapperLike };
}
type SendOperationRequest = (args: Record<string, unknown>, spec: OperationSpecLike, callback?: unknown) => Promise<unknown>;

const activityMapper = Mappers.Activity as unknown as { type: { modelProperties: Record<string, { serializedName?: string }> } };
/** Activity property → its name on the wire (the same for every field today; kept in case one differs). */
const wireNames = new Map(Object.entries(activityMapper.type.modelProperties).map(([name, m]) => [name, m.serializedName ?? name]));

/** The activity as the mapper would send it, before JSON: its schema's top-level fields, nothing else. */
export function activityBody(activity: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  // The activity's own keys (about ten), not the schema's forty.
  for (const name of Object.keys(activity)) {
    const wire = wireNames.get(name);
    const value = activity[name];
    if (wire !== undefined && value !== undefined) body[wire] = value;
  }
  return body;
}

const plainSpecs = new WeakMap<OperationSpecLike, OperationSpecLike>();

/** The same operation with an `any` body: core-client then JSON.stringifies the value as it is. */
function plainSpec(spec: OperationSpecLike): OperationSpecLike | undefined {
  const body = spec.requestBody;
  if (!body || body.parameterPath !== 'activity' || body.mapper.type.className !== 'Activity') return undefined;
  let plain = plainSpecs.get(spec);
  if (!plain) {
    plain = { ...spec, requestBody: { ...body, mapper: { serializedName: body.mapper.serializedName ?? 'Activity', required: true, type: { name: 'any' } } } };
    plainSpecs.set(spec, plain);
  }
  return plain;
}

/** Makes a ConnectorClient send activities as plain JSON (its other operations are unchanged). */
export function sendActivitiesAsJson(client: unknown): void {
  const c = client as { sendOperationRequest?: SendOperationRequest };
  if (typeof c.sendOperationRequest !== 'function') throw new Error('ConnectorClient has no sendOperationRequest; botframework-connector changed shape.');
  const original = c.sendOperationRequest.bind(client);
  c.sendOperationRequest = (args, spec, callback) => {
    const plain = plainSpec(spec);
    const activity = args['activity'];
    if (!plain || typeof activity !== 'object' || activity === null) return original(args, spec, callback);
    return original({ ...args, activity: activityBody(activity as Record<string, unknown>) }, plain, callback);
  };
}
