import { describe, expect, it } from 'vitest';
import { cronShapeProblem } from './cron-shape.js';

describe('cronShapeProblem', () => {
  it.each(['0 2 * * *', '*/15 * * * *', '0 0-6,18-23 * * mon-fri', '30 4 1,15 * 7', '0 0 1 jan *', '5 4 * * SUN'])('accepts %j', (expr) => {
    expect(cronShapeProblem(expr)).toBeUndefined();
  });

  it.each([
    ['0 2 * *', /got 4/],
    ['0 2 * * * *', /got 6/],
    ['@daily', /macros/],
    ['60 2 * * *', /minute field/],
    ['0 24 * * *', /hour field/],
    ['0 2 0 * *', /day-of-month field/],
    ['0 2 * 13 *', /month field/],
    ['0 2 * * 8', /day-of-week field/],
    ['*/0 * * * *', /step must be at least 1/],
    ['5-1 * * * *', /backwards/],
    ['x * * * *', /minute field/],
  ])('rejects %j', (expr, reason) => {
    expect(cronShapeProblem(expr)).toMatch(reason);
  });
});
