/** xs:duration parsing and Windows' duration forms, booleans, MessageIDs (protocol.md §1.5). */
import { describe, expect, it } from 'vitest';
import { parseDuration, formatTimeout, formatRunTime, formatDurationShort, parseBoolean, isGuid, normalizeMessageId, sameMessageId } from '../../src/core/index.js';

describe('parseDuration', () => {
  it.each([
    ['PT20S', 20_000],
    ['PT1M', 60_000],
    ['PT60.000S', 60_000],
    ['PT7200.000S', 7_200_000],
    ['P0DT0H0M9S', 9000],
    ['P0DT0H1M2S', 62_000],
    ['P1DT2H', 93_600_000],
    ['P1D', 86_400_000],
    ['PT1.5S', 1500],
    ['PT0.0005S', 1], // rounds to the nearest millisecond
    ['PT0S', 0],
    ['P1W', 7 * 86_400_000],
    ['P1Y', 365 * 86_400_000],
    ['P1M', 30 * 86_400_000],
    ['  PT20S\n', 20_000],
    ['-PT1S', -1000],
    ['-P1DT1S', -86_401_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'P', '-P', 'PT', 'P1DT', 'T20S', 'PT-1S', 'PT20', '20S', 'PT20s', 'pt20s', 'PT1S2M', 'PT1,5S', 'PT.5S', 'PT5.S', 'P1H', '--PT1S', 'PT1S junk', 'PTS', 'P1e3D', `P${'9'.repeat(400)}D`])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatting', () => {
  it.each([
    [7_200_000, 'PT7200.000S'],
    [60_000, 'PT60.000S'],
    [1500, 'PT1.500S'],
    [1, 'PT0.001S'],
    [0, 'PT0.000S'],
    [180_000, 'PT180.000S'],
  ])('formatTimeout(%d) is %s', (ms, text) => {
    expect(formatTimeout(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    [0, 'P0DT0H0M0S'],
    [9000, 'P0DT0H0M9S'],
    [62_000, 'P0DT0H1M2S'],
    [3_723_000, 'P0DT1H2M3S'],
    [93_784_000, 'P1DT2H3M4S'],
    [62_999, 'P0DT0H1M2S'], // whole seconds, truncated
    [-5, 'P0DT0H0M0S'],
  ])('formatRunTime(%d) is %s', (ms, text) => {
    expect(formatRunTime(ms)).toBe(text);
  });

  it.each([
    [20_000, 'PT20S'],
    [60_000, 'PT60S'],
    [1500, 'PT1.500S'],
  ])('formatDurationShort(%d) is %s', (ms, text) => {
    expect(formatDurationShort(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('parseBoolean', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['tRuE', true], ['1', true], [' true ', true],
    ['false', false], ['FALSE', false], ['False', false], ['0', false],
  ])('%j is %s', (text, value) => {
    expect(parseBoolean(text)).toBe(value);
  });

  it.each([undefined, '', 'yes', 'no', 'T', '2', 'truee', '01'])('%j is not a boolean', (text) => {
    expect(parseBoolean(text)).toBeUndefined();
  });
});

describe('MessageIDs', () => {
  const guid = 'b9c6a568-20b0-4b50-93ee-e7bcad5c20db';
  it('normalises with or without uuid:, in any case', () => {
    expect(normalizeMessageId(`uuid:${guid}`)).toBe(`uuid:${guid.toUpperCase()}`);
    expect(normalizeMessageId(guid)).toBe(`uuid:${guid.toUpperCase()}`);
    expect(normalizeMessageId(`UUID:${guid.toUpperCase()}`)).toBe(`uuid:${guid.toUpperCase()}`);
    expect(normalizeMessageId('  urn:other:id ')).toBe('urn:other:id');
  });

  it('sameMessageId matches across forms and not across different ids', () => {
    expect(sameMessageId(`uuid:${guid}`, guid.toUpperCase())).toBe(true);
    expect(sameMessageId(`uuid:${guid}`, `uuid:${guid.replace(/b$/, 'c')}`)).toBe(false);
    expect(sameMessageId(undefined, guid)).toBe(false);
    expect(sameMessageId('urn:x', 'urn:x')).toBe(true);
  });

  it('isGuid', () => {
    expect(isGuid(guid)).toBe(true);
    expect(isGuid(`uuid:${guid}`)).toBe(false);
    expect(isGuid(guid.slice(1))).toBe(false);
  });
});

describe('formatting edge cases', () => {
  it('rounds fractional milliseconds before formatting (999.6 ms is PT1.000S, not PT0.1000S)', () => {
    expect(formatTimeout(999.6)).toBe('PT1.000S');
    expect(formatTimeout(1500.4)).toBe('PT1.500S');
    expect(formatDurationShort(999.6)).toBe('PT1S');
  });

  it('writes negative durations as valid xs:duration (sign before P)', () => {
    expect(formatTimeout(-1500)).toBe('-PT1.500S');
    expect(formatDurationShort(-1000)).toBe('-PT1S');
    expect(parseDuration(formatTimeout(-1500))).toBe(-1500);
  });
});
