/**
 * A member set among an object's members (`<MS N="PSStandardMembers" />`, what pwsh 7.6 writes for
 * an object given a DefaultDisplayPropertySet with Add-Member; the XML below is its
 * [PSSerializer]::Serialize output) decodes instead of failing the pool with ERR_CLIXML_MALFORMED,
 * and the default view does not show it as a property. A bare `<MS>` value stays malformed.
 */
import { describe, expect, it } from 'vitest';
import { deserializeObjs } from '../../src/psrp/clixml/deserialize.js';

const deserialize = (xml: string): unknown => deserializeObjs(xml)[0];
import { PSObject } from '../../src/psrp/clixml/model.js';
import { formatObject } from '../../src/cli/psformat.js';

const NS = 'xmlns="http://schemas.microsoft.com/powershell/2004/04"';
const WITH_SET = `<Objs Version="1.1.0.1" ${NS}><Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>`
  + '<MS><I32 N="A">1</I32><I32 N="B">2</I32><MS N="PSStandardMembers" /></MS></Obj></Objs>';

describe('a member set among the members', () => {
  it('decodes as an object of its members, left out of the default view', () => {
    const v = deserialize(WITH_SET);
    expect(v).toBeInstanceOf(PSObject);
    const o = v as PSObject;
    expect([...o.extended.keys()]).toEqual(['A', 'B', 'PSStandardMembers']);
    expect((o.get('PSStandardMembers') as PSObject).extended.size).toBe(0);
    expect(formatObject(o)).toBe('\nA B\n- -\n1 2\n\n');
  });

  it('its members are read; an <MS> without a name is no value', () => {
    const nested = deserialize(`<Objs ${NS}><Obj RefId="0"><MS><MS N="Set"><S N="Inner">x</S></MS></MS></Obj></Objs>`) as PSObject;
    expect((nested.get('Set') as PSObject).get('Inner')).toBe('x');
    expect(() => deserialize(`<Objs ${NS}><Obj RefId="0"><MS><MS><S N="Inner">x</S></MS></MS></Obj></Objs>`)).toThrow(expect.objectContaining({ code: 'ERR_CLIXML_MALFORMED' }));
  });
});
