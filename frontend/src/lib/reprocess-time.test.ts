import { describe, expect, it } from "vitest";
import { formatSpan, parseDurationSeconds, parseInstant, zonedIso } from "./reprocess-time";

describe("zonedIso", () => {
  it("adds seconds and the zone to a datetime-local value", () => {
    expect(zonedIso("2026-12-03T10:00", 60)).toBe("2026-12-03T10:00:00+01:00");
    expect(zonedIso("2026-12-03T10:00:30", 0)).toBe("2026-12-03T10:00:30+00:00");
    expect(zonedIso("2026-07-01T23:59", -270)).toBe("2026-07-01T23:59:00-04:30");
    expect(zonedIso("2026-12-03T10:00:30.5", 330)).toBe("2026-12-03T10:00:30.500+05:30");
  });

  it("refuses what is not a calendar date-time", () => {
    expect(zonedIso("", 0)).toBeNull();
    expect(zonedIso("2026-02-30T10:00", 0)).toBeNull();
    expect(zonedIso("2026-13-01T10:00", 0)).toBeNull();
    expect(zonedIso("2026-12-03T24:00", 0)).toBeNull();
    expect(zonedIso("yesterday", 0)).toBeNull();
  });

  it("knows leap years", () => {
    expect(zonedIso("2028-02-29T00:00", 0)).toBe("2028-02-29T00:00:00+00:00");
    expect(zonedIso("2026-02-29T00:00", 0)).toBeNull();
  });
});

describe("parseInstant", () => {
  const plusOne = () => 60;

  it("reads epoch milliseconds as they are", () => {
    const r = parseInstant("86400000", plusOne);
    expect(r).toEqual({ ok: true, value: { ms: 86_400_000, iso: "1970-01-02T00:00:00.000Z" } });
  });

  it("reads a zoned date-time in its own zone", () => {
    // 2026-01-01T00:00Z is 56 years after 1970 with 14 leap days (1972..2024):
    // (56 * 365 + 14) days = 20454 days = 1_767_225_600_000 ms.
    const utc = parseInstant("2026-01-01T00:00:00Z", plusOne);
    expect(utc.ok && utc.value.ms).toBe(1_767_225_600_000);
    const east = parseInstant("2026-01-01T01:00+01:00", plusOne);
    expect(east.ok && east.value.ms).toBe(1_767_225_600_000);
    expect(east.ok && east.value.iso).toBe("2026-01-01T01:00:00+01:00");
    const compact = parseInstant("2025-12-31T19:00-0500", plusOne);
    expect(compact.ok && compact.value.ms).toBe(1_767_225_600_000);
  });

  it("reads a zone-less date-time in the zone given", () => {
    const r = parseInstant("2026-01-01 01:00", plusOne);
    expect(r.ok && r.value).toEqual({ ms: 1_767_225_600_000, iso: "2026-01-01T01:00:00+01:00" });
  });

  it("explains what it cannot read", () => {
    const r = parseInstant("next tuesday", plusOne);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain("not a date-time");
  });
});

describe("parseDurationSeconds", () => {
  it("reads plain seconds", () => {
    expect(parseDurationSeconds("3600")).toEqual({ ok: true, value: 3600 });
    expect(parseDurationSeconds(" 1.5 ")).toEqual({ ok: true, value: 1.5 });
  });

  it("reads ISO-8601 durations as Java's Duration does", () => {
    expect(parseDurationSeconds("PT1H")).toEqual({ ok: true, value: 3600 });
    expect(parseDurationSeconds("PT1H30M")).toEqual({ ok: true, value: 5400 });
    expect(parseDurationSeconds("P1DT2H")).toEqual({ ok: true, value: 93_600 });
    expect(parseDurationSeconds("pt0.5s")).toEqual({ ok: true, value: 0.5 });
    expect(parseDurationSeconds("P2D")).toEqual({ ok: true, value: 172_800 });
  });

  it("reads short units, spaced or not", () => {
    expect(parseDurationSeconds("1h30m")).toEqual({ ok: true, value: 5400 });
    expect(parseDurationSeconds("1h 30m")).toEqual({ ok: true, value: 5400 });
    expect(parseDurationSeconds("90 min")).toEqual({ ok: true, value: 5400 });
    expect(parseDurationSeconds("2d")).toEqual({ ok: true, value: 172_800 });
    expect(parseDurationSeconds("1w")).toEqual({ ok: true, value: 604_800 });
    expect(parseDurationSeconds("1.5h")).toEqual({ ok: true, value: 5400 });
    expect(parseDurationSeconds("1500ms")).toEqual({ ok: true, value: 1.5 });
  });

  it("refuses empty, zero, malformed and dangling ISO forms", () => {
    for (const text of ["", "0", "0s", "PT", "P", "P1DT", "1x", "h", "1h30", "-1h", "1 hour"]) {
      expect(parseDurationSeconds(text).ok, text).toBe(false);
    }
  });
});

describe("formatSpan", () => {
  it("names the largest units first and drops empty ones", () => {
    expect(formatSpan(5400)).toBe("1 h 30 min");
    expect(formatSpan(86_400)).toBe("1 d");
    expect(formatSpan(90_061)).toBe("1 d 1 h 1 min 1 s");
    expect(formatSpan(45)).toBe("45 s");
    expect(formatSpan(0)).toBe("0 s");
  });
});
