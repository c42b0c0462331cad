import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toVtt, toSrt, formatTimestamp, wrapText } from '../src/engines/captions.ts';

test('timestamps: VTT uses a dot, SRT a comma, hours always present', () => {
  assert.equal(formatTimestamp(0, '.'), '00:00:00.000');
  assert.equal(formatTimestamp(3723.5, '.'), '01:02:03.500');
  assert.equal(formatTimestamp(59.9996, ','), '00:01:00,000');
  assert.equal(formatTimestamp(-1, ','), '00:00:00,000');
});

test('VTT: header, cues, escaping, wrapping to two lines of <= 42 chars', () => {
  const vtt = toVtt([
    { start: 1, end: 3.25, text: 'Tom & Jerry <b>say</b> --> hi' },
    { start: 0, end: 0.9, text: 'first' },
    { start: 4, end: 4, text: '   ' },
  ]);
  const lines = vtt.split('\n');
  assert.equal(lines[0], 'WEBVTT');
  assert.equal(lines[2], '00:00:00.000 --> 00:00:00.900');
  assert.equal(lines[3], 'first');
  assert.equal(lines[5], '00:00:01.000 --> 00:00:03.250');
  assert.equal(lines[6], 'Tom &amp; Jerry &lt;b&gt;say&lt;/b&gt; --&gt; hi');
  assert.ok(!vtt.slice(6).includes('<'));
  const long = toVtt([{ start: 0, end: 10, text: 'word '.repeat(40).trim() }]);
  const text = long.split('\n').filter((l) => l && !l.includes('-->') && l !== 'WEBVTT');
  assert.ok(text.every((l) => l.length <= 42));
  const cues = long.split('\n').filter((l) => l.includes('-->'));
  assert.equal(cues.length, 3); // 200 chars → 5 lines → 3 cues of ≤ 2 lines
  assert.ok(cues.at(-1)!.endsWith('00:00:10.000'));
});

test('SRT: numbered cues, comma times, blank line between, no overlap', () => {
  const srt = toSrt([{ start: 0, end: 5, text: 'one' }, { start: 4, end: 6, text: 'two\n\nlines' }]);
  assert.equal(srt, '1\n00:00:00,000 --> 00:00:04,000\none\n\n2\n00:00:04,000 --> 00:00:06,000\ntwo lines\n');
});

test('wrapText cuts words longer than a line', () => {
  assert.deepEqual(wrapText('a ' + 'x'.repeat(10), 4), ['a', 'xxxx', 'xxxx', 'xx']);
});
