/** Helpers for the CLIXML tests: a canonical form of an XML tree to compare documents by structure. */
import { parseXml, type XmlElement } from '../../src/core/xml.js';

/** Element name, sorted attributes, and text (leaves only; whitespace between elements ignored). */
export function canonical(xml: string | XmlElement): unknown {
  const el = typeof xml === 'string' ? parseXml(xml) : xml;
  const attrs = el.attrs.map((a) => `${a.name}=${a.value}`).sort();
  if (!el.children.length) return [el.name, attrs, el.text];
  return [el.name, attrs, el.children.map(canonical)];
}
