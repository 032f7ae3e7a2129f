/**
 * The grammar of Find's answer, character by character: a JSON array of at most MAX_FIND_BOXES
 * objects `{"label": "<1..MAX_FIND_LABEL_CHARS chars>", "bbox": [n, n, n, n]}` in that key order,
 * each n a 0–1 coordinate written `0`, `1`, `0.5`, `0.125` (up to 4 decimals; `1.x` is let
 * through and clamped by the parser), with a few spaces or newlines wherever JSON allows them, as
 * models print it. Bounded everywhere (spaces, label, decimals, boxes), so every state has a
 * shortest way to the end, which the token mask uses to finish within the answer's token limit.
 *
 * A state is one number (phase, element, position, boxes), so masks can be cached per state.
 * Labels take no escapes and no `"` or `\`: the model never needs them to name a thing.
 */
import { MAX_FIND_BOXES, MAX_FIND_LABEL_CHARS } from '../../protocol/findBoxes';

/** A state no answer can be in: the text so far has left the grammar. */
export const REJECTED = -1;

const MAX_SPACES = 8;
const MAX_DECIMALS = 4;

const enum Phase {
  /** Before `[`. */
  Start = 0,
  /** After `[`: `]` or the first object. */
  Open = 1,
  InObject = 2,
  /** After an object: `,` or `]`. */
  AfterObject = 3,
  /** After `,`: the next object. */
  AfterComma = 4,
  /** After the closing `]`: only the end of the answer. */
  Done = 5,
}

type Element = { kind: 'literal'; text: string } | { kind: 'space' } | { kind: 'label' } | { kind: 'number' };
const literal = (text: string): Element => ({ kind: 'literal', text });
const SPACE: Element = { kind: 'space' };
const LABEL: Element = { kind: 'label' };
const NUMBER: Element = { kind: 'number' };

/** One object of the array, as a sequence of elements. */
const OBJECT: Element[] = [
  literal('{'), SPACE, literal('"label"'), SPACE, literal(':'), SPACE, LABEL, SPACE, literal(','), SPACE,
  literal('"bbox"'), SPACE, literal(':'), SPACE, literal('['), SPACE,
  NUMBER, SPACE, literal(','), SPACE, NUMBER, SPACE, literal(','), SPACE, NUMBER, SPACE, literal(','), SPACE, NUMBER, SPACE,
  literal(']'), SPACE, literal('}'),
];

function minLength(element: Element): number {
  switch (element.kind) {
    case 'literal':
      return element.text.length;
    case 'space':
      return 0;
    case 'label':
      return 3;
    case 'number':
      return 1;
  }
}

/** Shortest text from the start of element i to the end of the object. */
const OBJECT_TAIL = OBJECT.map((_, i) => OBJECT.slice(i).reduce((sum, element) => sum + minLength(element), 0));

// State packing: phase (0–7), element (0–63), position within it (0–127), boxes completed.
const pack = (phase: Phase, element: number, position: number, boxes: number): number => phase + 8 * (element + 64 * (position + 128 * boxes));
const phaseOf = (state: number) => (state % 8) as Phase;
const elementOf = (state: number) => Math.floor(state / 8) % 64;
const positionOf = (state: number) => Math.floor(state / 512) % 128;
const boxesOf = (state: number) => Math.floor(state / 65_536);

export const INITIAL_STATE = pack(Phase.Start, 0, 0, 0);

// Character codes: the mask feeds every token's text through here at each new state, so no strings or closures.
const SPACE_CODE = 32;
const NEWLINE = 10;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const ZERO = 48;
const NINE = 57;
const isSpace = (code: number) => code === SPACE_CODE || code === NEWLINE || code === TAB;
const isDigit = (code: number) => code >= ZERO && code <= NINE;
/** Printable text only: no quote or backslash (no escapes), no controls, no U+FFFD (a token that is part of a character). */
const isLabelChar = (code: number) => code >= SPACE_CODE && code !== QUOTE && code !== BACKSLASH && code !== 0x7f && code !== 0xfffd;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const POINT = 46;
const ONE = 49;

/** The state after one more character; REJECTED if it leaves the grammar. */
export function feedChar(state: number, ch: string): number {
  return feedCode(state, ch.charCodeAt(0));
}

function feedCode(state: number, ch: number): number {
  if (state === REJECTED) return REJECTED;
  const boxes = boxesOf(state);
  const position = positionOf(state);
  switch (phaseOf(state)) {
    case Phase.Start:
      if (isSpace(ch)) return position < MAX_SPACES ? pack(Phase.Start, 0, position + 1, boxes) : REJECTED;
      return ch === OPEN_BRACKET ? pack(Phase.Open, 0, 0, boxes) : REJECTED;
    case Phase.Open:
      if (isSpace(ch)) return position < MAX_SPACES ? pack(Phase.Open, 0, position + 1, boxes) : REJECTED;
      if (ch === CLOSE_BRACKET) return pack(Phase.Done, 0, 0, boxes);
      return feedObject(0, 0, boxes, ch);
    case Phase.AfterObject:
      if (isSpace(ch)) return position < MAX_SPACES ? pack(Phase.AfterObject, 0, position + 1, boxes) : REJECTED;
      if (ch === CLOSE_BRACKET) return pack(Phase.Done, 0, 0, boxes);
      return ch === COMMA && boxes < MAX_FIND_BOXES ? pack(Phase.AfterComma, 0, 0, boxes) : REJECTED;
    case Phase.AfterComma:
      if (isSpace(ch)) return position < MAX_SPACES ? pack(Phase.AfterComma, 0, position + 1, boxes) : REJECTED;
      return feedObject(0, 0, boxes, ch);
    case Phase.InObject:
      return feedObject(elementOf(state), position, boxes, ch);
    case Phase.Done:
      return REJECTED;
  }
}

/** The state after element `element` of the object is complete. */
function afterElement(element: number, boxes: number): number {
  return element + 1 === OBJECT.length ? pack(Phase.AfterObject, 0, 0, boxes + 1) : pack(Phase.InObject, element + 1, 0, boxes);
}

/** Inside an object: spaces and a finished number may end without consuming, so the character moves on. */
function feedObject(element: number, position: number, boxes: number, ch: number): number {
  for (;;) {
    const current = OBJECT[element]!;
    switch (current.kind) {
      case 'literal':
        if (ch !== current.text.charCodeAt(position)) return REJECTED;
        return position + 1 === current.text.length ? afterElement(element, boxes) : pack(Phase.InObject, element, position + 1, boxes);
      case 'label': {
        // Position 0: before the opening quote; 1 + k: k characters of the label read.
        if (position === 0) return ch === QUOTE ? pack(Phase.InObject, element, 1, boxes) : REJECTED;
        const read = position - 1;
        if (ch === QUOTE) return read > 0 ? afterElement(element, boxes) : REJECTED;
        return isLabelChar(ch) && read < MAX_FIND_LABEL_CHARS ? pack(Phase.InObject, element, position + 1, boxes) : REJECTED;
      }
      case 'space':
        if (isSpace(ch) && position < MAX_SPACES) return pack(Phase.InObject, element, position + 1, boxes);
        break;
      case 'number':
        // Position 0: nothing yet; 1: the whole digit; 2: after the point; 2 + k: k decimals.
        if (position === 0) return ch === ZERO || ch === ONE ? pack(Phase.InObject, element, 1, boxes) : REJECTED;
        if (position === 1 && ch === POINT) return pack(Phase.InObject, element, 2, boxes);
        if (position === 2) return isDigit(ch) ? pack(Phase.InObject, element, 3, boxes) : REJECTED;
        if (position > 2 && isDigit(ch) && position - 2 < MAX_DECIMALS) return pack(Phase.InObject, element, position + 1, boxes);
        break;
    }
    // A space run or a number ends here; the character belongs to the next element (never past the closing brace).
    element += 1;
    position = 0;
  }
}

export function feedText(state: number, text: string): number {
  for (let i = 0; i < text.length && state !== REJECTED; i++) state = feedCode(state, text.charCodeAt(i));
  return state;
}

/**
 * States that allow exactly the same tokens with the same shortest endings, as one key: inside a
 * label, every length that leaves room for the longest token behaves alike (the count only matters
 * near the limit); and the number of boxes finished matters only when a token could reach the last
 * one allowed (a token finishes at most one object per character it has). `longestToken` is in
 * UTF-16 units, as labels are counted.
 */
export function maskKey(state: number, longestToken: number): number {
  if (state === REJECTED) return state;
  const boxes = boxesOf(state) + longestToken < MAX_FIND_BOXES ? 0 : boxesOf(state);
  const phase = phaseOf(state);
  const element = elementOf(state);
  const read = positionOf(state) - 1;
  const inLabel = phase === Phase.InObject && OBJECT[element]!.kind === 'label' && read >= 1 && read + longestToken <= MAX_FIND_LABEL_CHARS;
  return pack(phase, element, inLabel ? 2 : positionOf(state), boxes);
}

/** Fewest characters that complete a valid answer from this state (0: it is complete). */
export function charsToFinish(state: number): number {
  switch (phaseOf(state)) {
    case Phase.Start:
      return 2;
    case Phase.Open:
    case Phase.AfterObject:
      return 1;
    case Phase.AfterComma:
      return OBJECT_TAIL[0]! + 1;
    case Phase.Done:
      return 0;
    case Phase.InObject: {
      const element = elementOf(state);
      return restOfElement(OBJECT[element]!, positionOf(state)) + (OBJECT_TAIL[element + 1] ?? 0) + 1;
    }
  }
}

function restOfElement(element: Element, position: number): number {
  switch (element.kind) {
    case 'literal':
      return element.text.length - position;
    case 'space':
      return 0;
    case 'label':
      return position === 0 ? 3 : position === 1 ? 2 : 1;
    case 'number':
      return position === 0 || position === 2 ? 1 : 0;
  }
}

/** Objects finished so far (an object being written is not counted). */
export function boxesCompleted(state: number): number {
  return state === REJECTED ? 0 : boxesOf(state);
}

export function isComplete(state: number): boolean {
  return state !== REJECTED && phaseOf(state) === Phase.Done;
}
