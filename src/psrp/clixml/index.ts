/** CLIXML (MS-PSRP 2.2.5): the model, the serializer and the deserializer. */
export * from './model.js';
export { deserialize, deserializeObjs, DEFAULT_CLIXML_LIMITS, type ClixmlLimits } from './deserialize.js';
export { serialize, serializeObjs, CLIXML_NS, type Serializable, type SerializeOptions } from './serialize.js';
export { encodeString, decodeString, formatDateTime, parseDateTime, formatTimeSpan, parseTimeSpan, formatFloat } from './text.js';
