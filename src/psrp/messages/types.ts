/** The shape of a message codec: typed message <-> the CLIXML value of its Data field. */
import type { PSValue } from '../clixml/model.js';
import type { Serializable } from '../clixml/serialize.js';
import type { MessageTypeName } from '../message.js';

/** Encode gives the value to serialize as Data, or NO_DATA for an empty Data field. */
export const NO_DATA: unique symbol = Symbol('no data');

export interface Codec<T extends { type: string }> {
  type: T['type'] & MessageTypeName;
  encode(m: T): Serializable | typeof NO_DATA;
  /** `value` is the deserialized Data (null when the Data field is empty). */
  decode(value: PSValue): T;
}
