import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronProblem, type ScheduleSetting } from '../../../src/config/schedules.js';

const prune = (expression: string): ScheduleSetting => ({ key: 'prune_schedule', expression, mayBeOff: false });

test('what system cron takes passes: steps, ranges, lists, names, aliases, a sixth field of seconds', () => {
  for (const expression of ['17 4 * * *', '47 */6 * * *', '*/59 * * * *', '0 0 */31 * *', '0 0 1 jan,JUL *', '0 0 * * mon-fri', '0 0 * * 7', '0 0 * * 0-7/7', '5,35 1-5/2 * * *', '@daily', '30 17 4 * * *']) {
    assert.equal(cronProblem(prune(expression)), undefined, expression);
  }
});

test("a value or a step beyond its field's range is refused, naming the field and its range (the cron package takes */61)", () => {
  const cases: Array<[string, RegExp]> = [
    ['*/61 * * * *', /^invalid prune_schedule "\*\/61 \* \* \* \*": the minute field's step 61 is out of range: expected 1 to 59 \(/],
    ['0-59/61 * * * *', /the minute field's step 61 is out of range: expected 1 to 59/],
    ['*/60 * * * *', /the minute field's step 60 is out of range: expected 1 to 59/],
    ['0 */25 * * *', /the hour field's step 25 is out of range: expected 1 to 23/],
    ['0 0 */32 * *', /the day-of-month field's step 32 is out of range: expected 1 to 31/],
    ['0 0 * */13 *', /the month field's step 13 is out of range: expected 1 to 12/],
    ['0 0 * * */8', /the day-of-week field's step 8 is out of range: expected 1 to 7/],
    ['*/0 * * * *', /the minute field's step 0 is out of range: expected 1 to 59/],
    ['61 * * * *', /the minute field's value 61 is out of range: expected 0 to 59/],
    ['0 0 0 * *', /the day-of-month field's value 0 is out of range: expected 1 to 31/],
    ['5,61 * * * *', /the minute field's value 61 is out of range/],
    ['*/61 0 * * * *', /the second field's step 61 is out of range: expected 1 to 59/],
  ];
  for (const [expression, message] of cases) assert.match(cronProblem(prune(expression)) ?? 'accepted', message, expression);
  assert.match(cronProblem(prune('every night'))!, /^invalid prune_schedule "every night": expected a cron expression such as "17 4 \* \* \*"/);
});

test('a well-formed expression no date matches (February 31st) is refused: the timer could never be set', () => {
  assert.equal(cronProblem(prune('0 0 31 2 *')), 'invalid prune_schedule "0 0 31 2 *": no date matches it (expected a cron expression such as "17 4 * * *")');
  assert.equal(cronProblem(prune('0 0 29 2 *')), undefined, 'a leap day comes');
});
