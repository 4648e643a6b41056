/**
 * The oracle the fast XML path and the lifted-run parse are held to: saxes on the whole text,
 * namespace-aware, each element's own text nodes (and CDATA) joined; saxes' own error where it fails.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { XmlElement } from '../../src/core/xml.js';

export interface Plain { ns: string; name: string; prefix: string; attrs: string[]; text: string; children: Plain[] }

export function saxesParse(text: string): Plain {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Plain[] = [];
  let root: Plain | undefined;
  parser.on('opentag', (t: SaxesTagNS) => {
    const attrs = Object.values(t.attributes).filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns').map((a) => `{${a.uri}}${a.local}=${a.value}`);
    const el: Plain = { ns: t.uri, name: t.local, prefix: t.prefix, attrs, text: '', children: [] };
    stack[stack.length - 1]?.children.push(el);
    root ??= el;
    stack.push(el);
  });
  const onText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => void stack.pop());
  parser.on('doctype', () => { throw new Error('doctype'); });
  parser.write(text).close();
  if (!root) throw new Error('no root');
  return root;
}

/** Our tree in the oracle's shape. */
export function shape(e: XmlElement): Plain {
  return { ns: e.ns, name: e.name, prefix: e.prefix, attrs: e.attrs.map((a) => `{${a.ns}}${a.name}=${a.value}`), text: e.text, children: e.children.map(shape) };
}
