/**
 * lab run powers blades on a few at a time (bootInWaves): never more booting than asked, the next
 * one as soon as one is done, starts one after another (a start holds the lab's lock), results in
 * the blades' order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { bootInWaves } from '../../../lab/run.ts';

test('at most `parallel` blades boot at once; each start waits for the one before; results keep the order', async () => {
  const events: string[] = [];
  let booting = 0;
  let most = 0;
  let startsAtOnce = 0;
  const boots: Record<string, number> = { node01: 30, node02: 5, node03: 10, node04: 1 };
  const results = await bootInWaves(
    Object.keys(boots),
    2,
    async (name) => {
      startsAtOnce += 1;
      expect(startsAtOnce).toBe(1);
      await sleep(2);
      startsAtOnce -= 1;
      events.push(`start ${name}`);
      return name;
    },
    async (name) => {
      booting += 1;
      most = Math.max(most, booting);
      await sleep(boots[name]);
      booting -= 1;
      events.push(`up ${name}`);
      return `${name} ok`;
    },
  );
  expect(results).toEqual(['node01 ok', 'node02 ok', 'node03 ok', 'node04 ok']);
  expect(most).toBe(2);
  // node02 is up first: node03 starts then, not after node01
  expect(events.indexOf('start node03')).toBeGreaterThan(events.indexOf('up node02'));
  expect(events.indexOf('start node03')).toBeLessThan(events.indexOf('up node01'));
});

test('more lanes than blades, or none asked: every blade boots, one at least at a time', async () => {
  const order: string[] = [];
  const boot = (parallel: number) =>
    bootInWaves(
      ['a', 'b'],
      parallel,
      async (name) => name,
      async (name) => {
        order.push(name);
        return name;
      },
    );
  expect(await boot(8)).toEqual(['a', 'b']);
  expect(await boot(0)).toEqual(['a', 'b']);
  expect(order).toEqual(['a', 'b', 'a', 'b']);
});
