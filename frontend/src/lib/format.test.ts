import { describe, expect, it } from "vitest";
import {
  formatAgo,
  formatClock,
  formatCompact,
  formatCount,
  formatDurationMs,
  formatRate,
  formatRateWithUnit,
  formatRecordField,
} from "./format";

describe("formatRate", () => {
  it("shows zero for idle, missing and nonsensical rates", () => {
    expect(formatRate(0)).toBe("0");
    expect(formatRate(null)).toBe("0");
    expect(formatRate(undefined)).toBe("0");
    expect(formatRate(-3)).toBe("0");
    expect(formatRate(Number.NaN)).toBe("0");
  });

  it("keeps two decimals below one record per second", () => {
    expect(formatRate(0.25)).toBe("0.25");
    expect(formatRate(0.5)).toBe("0.5");
    expect(formatRate(0.004)).toBe("0");
  });

  it("keeps one decimal below ten and none up to a thousand", () => {
    expect(formatRate(4.24)).toBe("4.2");
    expect(formatRate(4)).toBe("4");
    expect(formatRate(118.4)).toBe("118");
  });

  it("goes compact from a thousand", () => {
    expect(formatRate(1234)).toBe("1.2k");
    expect(formatRate(56_000)).toBe("56k");
    expect(formatRate(3_400_000)).toBe("3.4M");
  });

  it("adds the unit on request", () => {
    expect(formatRateWithUnit(4.2)).toBe("4.2 rec/s");
  });
});

describe("formatCompact and formatCount", () => {
  it("abbreviates big numbers", () => {
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(1000)).toBe("1k");
    expect(formatCompact(2_500_000_000)).toBe("2.5G");
  });

  it("groups thousands and marks unknown counts", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(null)).toBe("—");
  });
});

describe("formatDurationMs", () => {
  it("picks a readable unit", () => {
    expect(formatDurationMs(500)).toBe("500 ms");
    expect(formatDurationMs(1000)).toBe("1 s");
    expect(formatDurationMs(5000)).toBe("5 s");
    expect(formatDurationMs(1500)).toBe("1.5 s");
    expect(formatDurationMs(90_000)).toBe("1.5 min");
    expect(formatDurationMs(7_200_000)).toBe("2 h");
    expect(formatDurationMs(86_400_000)).toBe("1 d");
  });
});

describe("formatClock and formatAgo", () => {
  it("prints millisecond clock times", () => {
    const t = new Date(2024, 10, 25, 9, 5, 7, 42).getTime();
    expect(formatClock(t)).toBe("09:05:07.042");
  });

  it("says how long ago", () => {
    expect(formatAgo(10_000, 12_000)).toBe("just now");
    expect(formatAgo(0, 12_000)).toBe("12 s ago");
    expect(formatAgo(0, 180_000)).toBe("3 min ago");
    expect(formatAgo(0, 7_300_000)).toBe("2 h ago");
  });
});

describe("formatRecordField", () => {
  it("prints strings raw and other values as JSON", () => {
    expect(formatRecordField("kafka")).toBe("kafka");
    expect(formatRecordField(3)).toBe("3");
    expect(formatRecordField(null)).toBe("null");
    expect(formatRecordField({ a: 1 })).toBe('{"a":1}');
  });

  it("cuts long text", () => {
    expect(formatRecordField("x".repeat(10), 5)).toBe("xxxx…");
  });
});
