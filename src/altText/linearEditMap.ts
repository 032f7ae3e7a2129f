/**
 * Makes micromark's list parsing linear. micromark 4.0.3's document tokenizer moves container
 * exits with an EditMap each time a list item closes the flow before it (every item after the
 * first, every outdent), and EditMap.consume rebuilds the whole event list to apply the edit, so
 * a document of n list items costs n²: 100 KB of nested list items took 23 s, 500 KB over 4 min.
 * Those edits are always near the end of the list, so applying them in place from the first
 * edited index gives the same events in time proportional to what follows it.
 *
 * This replaces `consume` on the EditMap class micromark itself constructs (one copy, in the
 * bundles and in node_modules); test/unit/altText/scanLimits.test.ts checks the result against
 * plain splices and that a large nested list parses in seconds.
 */
import { EditMap, type Change } from 'micromark-util-edit-map';

EditMap.prototype.consume = function consumeInPlace(this: EditMap, events) {
  if (this.map.length === 0) return;
  const changes: Change[] = this.map.sort((a, b) => a[0] - b[0]);
  const from = changes[0][0];
  const tail: typeof events = [];
  let next = from;
  for (const [at, remove, add] of changes) {
    for (; next < at; next++) tail.push(events[next]);
    for (const event of add) tail.push(event);
    next = at + remove;
  }
  for (; next < events.length; next++) tail.push(events[next]);
  events.length = from;
  for (const event of tail) events.push(event);
  this.map.length = 0;
  this.index.clear();
};
