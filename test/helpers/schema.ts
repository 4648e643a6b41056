/** Envelope validation against schemas/ for tests; the implementation is the runtime one in src/schema. */
export * from '../../src/schema/validate.js';
